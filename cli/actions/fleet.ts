import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { formatFleetErrors, renderFleet, validateFleet } from '../../sites/index.ts';

export interface FleetRenderOptions {
  out: string;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

/** Exit 0 with a summary; 1 for an invalid fleet file (one problem a line); 2 when unreadable. */
export function renderFleetCommand(file: string, opts: FleetRenderOptions): void {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`omniva fleet render: ${file}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const result = validateFleet(raw);
  if (!result.ok) {
    process.stderr.write(`omniva fleet render: ${file} is invalid:\n`);
    process.stderr.write(`${formatFleetErrors(result.errors)}\n`);
    process.exitCode = 1;
    return;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${w.pointer}: ${w.reason}\n`);
  const root = resolve(opts.out);
  const hosts = renderFleet(result.fleet);
  let count = 0;
  for (const host of hosts) {
    for (const f of host.files) {
      const path = join(root, host.host_id, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content, { mode: f.mode });
      count += 1;
    }
  }
  out(`fleet ${result.fleet.fleet}: ${hosts.length} hosts, ${count} files in ${root}`);
  for (const host of hosts) {
    out(
      `  ${host.host_id} (${host.site_id ? `site ${host.site_id}` : 'hub'}): ${host.units.join(' ')}`,
    );
  }
}
