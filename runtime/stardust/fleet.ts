import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamSource,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjects } from '../../protocols/index.ts';
import { STARDUST_STREAM } from './packet.ts';

/**
 * The fleet ledger on the hub (design §3, §6). Two hops, both on the hub:
 *
 *   site STARDUST (domain <site>) ──mirror──▶ STARDUST_<site> (hub, the site's own account)
 *   STARDUST_<site> of every site ──source──▶ STARDUST_ALL    (hub, the fleet account)
 *
 * Each site's leafnode lands in its own account on the hub, so sites never see each other's
 * subjects; the fleet account reaches each copy through the exports and imports the hub
 * config declares (sites/hub-config.ts). A mirror and a source remember how far they got,
 * so a site cut off from the hub catches up from where it stopped when it reconnects, and
 * nothing arrives twice.
 */
export const FLEET_LEDGER_STREAM = 'STARDUST_ALL';

/** The hub-side copy of one site's ledger, in that site's account. */
export const siteLedgerCopy = (site: string) => `${STARDUST_STREAM}_${site}`;

const keepEverything = {
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.New,
  max_age: 0,
  max_msgs: -1,
  max_bytes: -1,
  deny_delete: true,
  deny_purge: true,
} as const;

export function siteLedgerCopyConfig(site: string): Partial<StreamConfig> & { name: string } {
  return {
    ...keepEverything,
    name: siteLedgerCopy(site),
    mirror: { name: STARDUST_STREAM, domain: site },
  };
}

export function fleetLedgerConfig(
  hub: string,
  sites: readonly string[],
): Partial<StreamConfig> & { name: string } {
  const sources: StreamSource[] = [...sites].sort().map((site) => ({
    name: siteLedgerCopy(site),
    external: { api: subjects.fleetApi(hub, site), deliver: subjects.fleetDeliver(hub, site) },
  }));
  return { ...keepEverything, name: FLEET_LEDGER_STREAM, sources };
}

async function upsert(nc: NatsConnection, cfg: Partial<StreamConfig> & { name: string }) {
  const jsm = await jetstreamManager(nc);
  const existing = await jsm.streams.info(cfg.name).catch(() => undefined);
  if (!existing) return jsm.streams.add(cfg);
  // A mirror cannot be changed once set; sources, limits and the rest can.
  const { retention: _r, storage: _s, name: _n, mirror: _m, ...mutable } = cfg;
  return jsm.streams.update(cfg.name, mutable);
}

/** Creates (or keeps) the hub-side copy of a site's ledger. `nc`: the hub admin of that site's account. */
export async function provisionSiteLedgerCopy(nc: NatsConnection, site: string): Promise<void> {
  await upsert(nc, siteLedgerCopyConfig(site));
}

/** Creates or updates STARDUST_ALL with one source per site. `nc`: the hub's fleet admin. */
export async function provisionFleetLedger(
  nc: NatsConnection,
  hub: string,
  sites: readonly string[],
): Promise<void> {
  await upsert(nc, fleetLedgerConfig(hub, sites));
}

export interface FleetLedgerSite {
  site: string;
  /** Packets in the hub's copy of the site's ledger. */
  copy_messages: number;
  /** Milliseconds since the copy last heard from the site, -1 when it never did. */
  heard_ms: number;
  /** Copy packets not yet in STARDUST_ALL. */
  lag: number;
  error?: string;
}

export interface FleetLedgerStatus {
  messages: number;
  bytes: number;
  sites: FleetLedgerSite[];
}

const ageMs = (ns: number) => (ns < 0 ? -1 : Math.round(ns / 1e6));

/** How the hub operator reaches the hub: one password, a user per account. */
export interface HubAccess {
  url: string;
  password: string;
  /** The hub's JetStream domain. */
  hub: string;
  /** The operator's user in the fleet account. */
  fleetUser: string;
  /** The operator's user in one site's account. */
  siteUser: (site: string) => string;
  timeoutMs?: number;
}

async function asUser<T>(
  a: HubAccess,
  user: string,
  fn: (nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const nc = await connect({
    servers: a.url,
    user,
    pass: a.password,
    timeout: a.timeoutMs ?? 5_000,
    name: `omniva-hub-${user}`,
  });
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

/**
 * Everything the hub holds, created or brought up to date: each site's ledger copy (as that
 * account's operator), then STARDUST_ALL over all of them (as the fleet operator).
 */
export async function provisionHub(a: HubAccess, sites: readonly string[]): Promise<void> {
  for (const site of sites) {
    await asUser(a, a.siteUser(site), (nc) => provisionSiteLedgerCopy(nc, site));
  }
  await asUser(a, a.fleetUser, (nc) => provisionFleetLedger(nc, a.hub, sites));
}

/**
 * The fleet-wide view of the ledger: STARDUST_ALL's size, and per site how many packets the
 * hub holds, when it last heard from the site (a cut-off site shows here) and how far
 * STARDUST_ALL is behind that copy.
 */
export async function readFleetLedgerStatus(
  a: HubAccess,
  sites: readonly string[],
): Promise<FleetLedgerStatus> {
  const all = await asUser(a, a.fleetUser, async (nc) =>
    (await jetstreamManager(nc)).streams.info(FLEET_LEDGER_STREAM),
  );
  const out: FleetLedgerSite[] = [];
  for (const site of [...sites].sort()) {
    const source = all.sources?.find((s) => s.name === siteLedgerCopy(site));
    const copy = await asUser(a, a.siteUser(site), async (nc) =>
      (await jetstreamManager(nc)).streams.info(siteLedgerCopy(site)),
    ).catch((e: Error) => e);
    if (copy instanceof Error) {
      out.push({ site, copy_messages: 0, heard_ms: -1, lag: 0, error: copy.message });
      continue;
    }
    const error = source
      ? (copy.mirror?.error?.description ?? source.error?.description)
      : 'not a source of STARDUST_ALL: run provision-hub';
    out.push({
      site,
      copy_messages: copy.state.messages,
      heard_ms: ageMs(copy.mirror?.active ?? -1),
      lag: source?.lag ?? copy.state.messages,
      ...(error ? { error } : {}),
    });
  }
  return { messages: all.state.messages, bytes: all.state.bytes, sites: out };
}
