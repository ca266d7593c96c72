import type { Ledger, LineageIndex, LineageNode } from '../../runtime/stardust/index.ts';
import { CliError, openLedgerForCli } from '../internal/connect.ts';

export interface StardustCliOptions {
  site?: string;
  dataDir?: string;
  config?: string;
  url?: string;
}

interface OpenedLedger {
  ledger: Ledger;
  site: string;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const out = (line = '') => process.stdout.write(`${line}\n`);

function fail(command: string, e: unknown): void {
  const err = e as { code?: string; message?: string };
  const code = err.code && !(e instanceof CliError) ? `${err.code}: ` : '';
  process.stderr.write(`omniva stardust ${command}: ${code}${err.message ?? String(e)}\n`);
  process.exitCode = 2;
}

function openForCli(opts: StardustCliOptions): Promise<OpenedLedger> {
  return openLedgerForCli(opts, 'omniva-stardust-cli');
}

async function withLedger(
  command: string,
  opts: StardustCliOptions,
  fn: (o: OpenedLedger) => Promise<void>,
): Promise<void> {
  let opened: OpenedLedger | undefined;
  try {
    opened = await openForCli(opts);
    await fn(opened);
  } catch (e) {
    fail(command, e);
  } finally {
    await opened?.close().catch(() => undefined);
  }
}

export async function verifyCommand(opts: StardustCliOptions & { json?: boolean }): Promise<void> {
  await withLedger('verify', opts, async ({ ledger, site }) => {
    const r = await ledger.verify();
    if (opts.json) out(JSON.stringify({ site, ...r }));
    else if (r.ok) out(`ok: ${r.count} packets, chain intact`);
    else {
      out(`broken at sequence ${r.seq}: ${r.reason}`);
      out(`  stardust_id: ${r.stardust_id ?? 'unknown'}`);
      out(`  intact before it: ${r.count} packets`);
    }
    if (!r.ok) process.exitCode = 1;
  });
}

function label(n: LineageNode): string {
  return `${n.kind} by ${n.actor}  ${n.stardust_id}  ref ${n.ref}  ${n.recorded_at}`;
}

export async function showCommand(
  id: string,
  opts: StardustCliOptions & { json?: boolean },
): Promise<void> {
  await withLedger('show', opts, async ({ ledger }) => {
    const packet = await ledger.get(id);
    if (!packet) {
      process.stderr.write(`omniva stardust show: no packet ${id} in the ledger\n`);
      process.exitCode = 1;
      return;
    }
    if (opts.json) {
      out(JSON.stringify(packet, null, 2));
      return;
    }
    const index = await ledger.lineage.ready();
    const node = index.node(id);
    const row = (name: string, value: string) => out(`${name.padEnd(10)}${value}`);
    row('stardust', packet.stardust_id);
    row('kind', packet.kind);
    row('ref', packet.ref);
    row('actor', packet.actor);
    row('trace', packet.trace_id);
    row('time', packet.recorded_at);
    row('sequence', String(node?.seq ?? '?'));
    row('prev', packet.prev ?? 'none (first packet)');
    const entities = Object.entries(packet.entities);
    if (entities.length === 0) row('entities', 'none');
    for (const [i, [type, ids]] of entities.entries()) {
      row(i === 0 ? 'entities' : '', `${type}: ${ids.join(', ')}`);
    }
    const list = (name: string, ids: readonly string[]) => {
      if (ids.length === 0) {
        row(name, 'none');
        return;
      }
      ids.forEach((pid, i) => {
        const n = index.node(pid);
        row(i === 0 ? name : '', n ? label(n) : `${pid}  (not in the ledger)`);
      });
    };
    list('parents', packet._meta_parents);
    list(
      'children',
      index.children(id).map((n) => n.stardust_id),
    );
    const payload = JSON.stringify(packet.payload, null, 2).split('\n');
    payload.forEach((line, i) => {
      row(i === 0 ? 'payload' : '', line);
    });
  });
}

function printTree(
  index: LineageIndex,
  id: string,
  next: (id: string) => LineageNode[],
  maxDepth: number,
): void {
  const seen = new Set<string>([id]);
  const walk = (from: string, prefix: string, depth: number) => {
    if (depth > maxDepth) return;
    const nodes = next(from);
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      const again = seen.has(n.stardust_id);
      out(`${prefix}${last ? '└─ ' : '├─ '}${label(n)}${again ? '  (shown above)' : ''}`);
      if (again) return;
      seen.add(n.stardust_id);
      walk(n.stardust_id, `${prefix}${last ? '   ' : '│  '}`, depth + 1);
    });
  };
  const start = index.node(id);
  out(start ? label(start) : id);
  if (next(id).length === 0) out('  (none)');
  walk(id, '  ', 1);
}

function printLineage(index: LineageIndex, id: string, maxDepth: number): void {
  const node = index.node(id);
  if (!node) return;
  const unknown = index.unknownParents(id);
  out('ancestry (what it came from):');
  printTree(index, id, (n) => index.parents(n), maxDepth);
  if (unknown.length > 0) out(`  parents not in the ledger: ${unknown.join(', ')}`);
  out('descendants (what came of it):');
  printTree(index, id, (n) => index.children(n), maxDepth);
}

export async function lineageCommand(
  target: string,
  opts: StardustCliOptions & { depth?: string },
): Promise<void> {
  await withLedger('lineage', opts, async ({ ledger }) => {
    const maxDepth = opts.depth === undefined ? Number.POSITIVE_INFINITY : Number(opts.depth);
    if (!(maxDepth >= 1)) throw new CliError(`--depth must be a number >= 1, not "${opts.depth}"`);
    const index = await ledger.lineage.sync();
    if (UUID.test(target)) {
      if (!index.has(target)) {
        process.stderr.write(`omniva stardust lineage: no packet ${target} in the ledger\n`);
        process.exitCode = 1;
        return;
      }
      printLineage(index, target, maxDepth);
      return;
    }
    const colon = target.indexOf(':');
    if (colon <= 0 || colon === target.length - 1) {
      throw new CliError(`"${target}" is neither a stardust id nor entity-type:id`);
    }
    const [type, id] = [target.slice(0, colon), target.slice(colon + 1)];
    const nodes = index.byEntity(type, id);
    if (nodes.length === 0) {
      process.stderr.write(`omniva stardust lineage: no packet names ${type} ${id}\n`);
      process.exitCode = 1;
      return;
    }
    out(`${nodes.length} packet(s) name ${type} ${id}`);
    for (const n of nodes) {
      out();
      printLineage(index, n.stardust_id, maxDepth);
    }
  });
}
