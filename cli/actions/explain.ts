import {
  type ExplainSubject,
  explain,
  planStory,
  readStory,
  type StoryPlan,
  TraceIndex,
} from '../../actors/cognitive/halolux/index.ts';
import type { Explanation } from '../../protocols/index.ts';
import type { Ledger } from '../../runtime/index.ts';
import { CliError, openLedgerForCli } from '../internal/connect.ts';

export interface ExplainCliOptions {
  type?: string;
  json?: boolean;
  site?: string;
  dataDir?: string;
  config?: string;
  url?: string;
}

const TYPES = ['clip', 'trace', 'job', 'video'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WIDTH = 100;

const out = (line = '') => process.stdout.write(`${line}\n`);

function openForCli(opts: ExplainCliOptions): Promise<{ ledger: Ledger; close(): Promise<void> }> {
  return openLedgerForCli(opts, 'omniva-explain-cli');
}

/** The story of the id: of the type asked for, or of the first type whose story is not empty. */
async function findStory(ledger: Ledger, id: string, type: string | undefined): Promise<StoryPlan> {
  const traces = new TraceIndex(ledger.store);
  try {
    const types = type
      ? [type as ExplainSubject['type']]
      : (['clip', 'job', 'video', 'trace'] as const);
    let plan: StoryPlan | undefined;
    for (const t of types) {
      plan = await planStory(ledger, { type: t, id }, { traces });
      if (plan.nodes.length > 0) return plan;
    }
    return plan as StoryPlan;
  } finally {
    traces.stop();
  }
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function print(e: Explanation): void {
  for (const l of wrap(e.narrative, '')) out(l);
  out();
  out(`chain (${e.chain.length} step${e.chain.length === 1 ? '' : 's'}):`);
  e.chain.forEach((c, i) => {
    const head = `${String(i + 1).padStart(3)}. [${c.step}] `;
    wrap(c.statement, ' '.repeat(head.length)).forEach((l, j) => {
      out(j === 0 ? head + l.trimStart() : l);
    });
    out(`${' '.repeat(head.length)}cites ${c.stardust_ids.join(', ')}`);
  });
  out();
  out(`alternatives (${e.alternatives.length}):`);
  if (e.alternatives.length === 0) out('  none recorded');
  for (const a of e.alternatives) {
    for (const [j, l] of wrap(`${a.what}: ${a.why_lost}`, '    ').entries()) {
      out(j === 0 ? `  - ${l.trimStart()}` : l);
    }
    out(`    cites ${a.stardust_ids.join(', ')}`);
  }
  out();
  out(`completeness: ${e.completeness}`);
  out(`missing (${e.missing.length}):`);
  if (e.missing.length === 0) out('  nothing');
  for (const m of e.missing)
    for (const [j, l] of wrap(m, '    ').entries()) {
      out(j === 0 ? `  - ${l.trimStart()}` : l);
    }
  if (e.trace_ids?.length) out(`traces: ${e.trace_ids.join(', ')}`);
}

export async function explainCommand(id: string, opts: ExplainCliOptions): Promise<void> {
  let opened: Awaited<ReturnType<typeof openForCli>> | undefined;
  try {
    if (opts.type !== undefined && !(TYPES as readonly string[]).includes(opts.type)) {
      throw new CliError(`--type must be one of ${TYPES.join(', ')}, not "${opts.type}"`);
    }
    if (!UUID.test(id)) throw new CliError(`"${id}" is not an id (a UUID)`);
    opened = await openForCli(opts);
    const plan = await findStory(opened.ledger, id, opts.type);
    const story = await readStory(opened.ledger, plan);
    if (story.packets.length === 0) {
      const what = opts.type ?? 'clip, job, video or trace';
      process.stderr.write(`omniva explain: no packet names ${id} as a ${what}\n`);
      process.exitCode = 1;
      return;
    }
    const explanation = explain(plan.subject, story.packets, undefined, story.notes);
    if (opts.json) out(JSON.stringify(explanation, null, 2));
    else print(explanation);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const code = err.code && !(e instanceof CliError) ? `${err.code}: ` : '';
    process.stderr.write(`omniva explain: ${code}${err.message ?? String(e)}\n`);
    process.exitCode = 2;
  } finally {
    await opened?.close().catch(() => undefined);
  }
}
