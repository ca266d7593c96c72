import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OmnivaError } from '../../protocols/index.ts';
import { type HubAccess, provisionHub, readFleetLedgerStatus } from '../../runtime/index.ts';
import {
  type Fleet,
  formatFleetErrors,
  HUB_ADMIN_ENV,
  HUB_ADMIN_USER,
  hostPort,
  hubSiteAdminUser,
  renderFleet,
  validateFleet,
} from '../../sites/index.ts';

export interface FleetRenderOptions {
  out: string;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

export interface FleetHubOptions {
  url?: string;
  timeout: string;
}

/** Reads and validates a fleet file; on a problem says so (exit 2 unreadable, 1 invalid). */
function readFleet(command: string, file: string): ReturnType<typeof validateFleet> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`omniva fleet ${command}: ${file}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return undefined;
  }
  const result = validateFleet(raw);
  if (!result.ok) {
    process.stderr.write(`omniva fleet ${command}: ${file} is invalid:\n`);
    process.stderr.write(`${formatFleetErrors(result.errors)}\n`);
    process.exitCode = 1;
    return undefined;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${w.pointer}: ${w.reason}\n`);
  return result;
}

/** Exit 0 with a summary; 1 for an invalid fleet file (one problem a line); 2 when unreadable. */
export function renderFleetCommand(file: string, opts: FleetRenderOptions): void {
  const result = readFleet('render', file);
  if (!result?.ok) return;
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

function hubAccess(command: string, fleet: Fleet, opts: FleetHubOptions): HubAccess | undefined {
  const password = process.env[HUB_ADMIN_ENV];
  if (!password) {
    process.stderr.write(
      `omniva fleet ${command}: set ${HUB_ADMIN_ENV} to the hub operator's password\n`,
    );
    process.exitCode = 2;
    return undefined;
  }
  return {
    url: opts.url ?? `nats://${hostPort(fleet.hub.host, fleet.hub.client_port)}`,
    password,
    hub: fleet.hub.domain ?? 'hub',
    fleetUser: HUB_ADMIN_USER,
    siteUser: hubSiteAdminUser,
    timeoutMs: Number(opts.timeout),
  };
}

const failed = (command: string, e: unknown) => {
  const code = e instanceof OmnivaError ? `${e.code}: ` : '';
  process.stderr.write(`omniva fleet ${command}: ${code}${(e as Error).message}\n`);
  process.exitCode = 1;
};

/** `omniva fleet provision-hub`: each site's ledger copy, then STARDUST_ALL; safe to rerun. */
export async function provisionHubCommand(file: string, opts: FleetHubOptions): Promise<void> {
  const result = readFleet('provision-hub', file);
  if (!result?.ok) return;
  const access = hubAccess('provision-hub', result.fleet, opts);
  if (!access) return;
  const sites = result.fleet.sites.map((s) => s.site_id);
  try {
    await provisionHub(access, sites);
  } catch (e) {
    return failed('provision-hub', e);
  }
  out(`hub ${access.hub}: STARDUST_ALL sources ${sites.length} site ledgers (${sites.join(', ')})`);
}

/** `omniva fleet status`: the fleet ledger's size and how far each site's copy is behind. */
export async function fleetStatusCommand(
  file: string,
  opts: FleetHubOptions & { json?: boolean },
): Promise<void> {
  const result = readFleet('status', file);
  if (!result?.ok) return;
  const access = hubAccess('status', result.fleet, opts);
  if (!access) return;
  let status: Awaited<ReturnType<typeof readFleetLedgerStatus>>;
  try {
    status = await readFleetLedgerStatus(
      access,
      result.fleet.sites.map((s) => s.site_id),
    );
  } catch (e) {
    return failed('status', e);
  }
  if (status.sites.some((s) => s.error)) process.exitCode = 1;
  if (opts.json) {
    out(JSON.stringify(status, null, 2));
    return;
  }
  out(`STARDUST_ALL: ${status.messages} packets, ${status.bytes} bytes`);
  for (const s of status.sites) {
    const heard = s.heard_ms < 0 ? 'never heard from' : `last heard ${s.heard_ms} ms ago`;
    out(
      `  ${s.site}: ${s.copy_messages} packets on the hub, ${heard}, lag ${s.lag}${s.error ? `, error: ${s.error}` : ''}`,
    );
  }
}
