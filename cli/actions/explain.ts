import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  type ExplainSubject,
  explain,
  planStory,
  readStory,
  type StoryPlan,
  TraceIndex,
} from '../../actors/cognitive/halolux/index.ts';
import { type ConfigOverrides, loadConfig } from '../../config/index.ts';
import type { Explanation } from '../../protocols/index.ts';
import { createLogger, type Ledger, openLedger, STARDUST_STREAM } from '../../runtime/index.ts';
import { bootSite } from '../internal/boot.ts';

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

/** Bad usage, or a ledger that cannot be read: exit 2, without an error code prefix. */
class CliError extends Error {}

/**
 * The URL of the embedded server `omniva run` started on this data directory, if it is still
 * running: two servers on one JetStream store would corrupt it, so the CLI joins it instead.
 * (The same lookup as `omniva stardust` and `omniva media`; a shared helper in cli/internal
 * would serve all three.)
 */
function runningEmbeddedUrl(dataDir: string): string | undefined {
  const dir = join(dataDir, 'nats', 'ports');
  if (!existsSync(dir)) return undefined;
  for (const file of readdirSync(dir)) {
    const pid = Number(/_(\d+)\.ports$/.exec(file)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      const ports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats?: string[] };
      if (ports.nats?.[0]) return ports.nats[0];
    } catch {
      // a stale ports file of a server that is gone
    }
  }
  return undefined;
}

async function openForCli(
  opts: ExplainCliOptions,
): Promise<{ ledger: Ledger; close(): Promise<void> }> {
  const overrides: ConfigOverrides = {
    ...(opts.site ? { site_id: opts.site } : {}),
    ...(opts.dataDir ? { data_dir: opts.dataDir } : {}),
    ...(opts.url ? { nats: { url: opts.url } } : {}),
  };
  const config = loadConfig({ ...(opts.config ? { file: opts.config } : {}), overrides });
  const site = config.site_id;
  const url = config.nats.url ?? runningEmbeddedUrl(config.data_dir);
  let opened: { ledger: Ledger; close(): Promise<void> };
  if (url) {
    const nc = await connect({
      servers: url,
      timeout: config.nats.connect_timeout_ms,
      name: 'omniva-explain-cli',
      noAsyncTraces: true,
      ...(config.nats.user ? { user: config.nats.user, pass: config.nats.pass ?? '' } : {}),
    });
    // stdout carries the answer; anything the ledger logs goes to stderr.
    const log = createLogger({ level: config.log.level, site_id: site, destination: 2 });
    const ledger = await openLedger(nc, { site, log, provision: false }).catch(async (e) => {
      await nc.close();
      throw e;
    });
    const close = async () => {
      await ledger.close();
      await nc.close();
    };
    opened = { ledger, close };
  } else {
    const booted = await bootSite({
      ...(opts.config ? { configFile: opts.config } : {}),
      overrides,
    });
    opened = { ledger: booted.site.ledger, close: () => booted.site.close() };
  }
  try {
    await opened.ledger.store.state();
  } catch (e) {
    await opened.close();
    if ((e as { name?: string }).name === 'StreamNotFoundError') {
      throw new CliError(`site "${site}" has no ledger (no ${STARDUST_STREAM} stream)`);
    }
    throw e;
  }
  return opened;
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
