// A whole single-site fleet in this process, as `omniva demo` runs it: the five workers, the
// advisory modules, Eclipse and Zenith under the lease (cli/internal/site-actors.ts), on an
// embedded nats-server under a temporary data dir. Every cmd/evt/adv message is collected
// live with the Stardust packet id its publisher recorded it under; the ledger answers the
// lineage questions.
import { rmSync } from 'node:fs';
import type { Subscription } from '@nats-io/transport-node';
import * as assert from 'uvu/assert';
import { createHaloLux } from '../../actors/cognitive/halolux/index.ts';
import { bootSite } from '../../cli/internal/boot.ts';
import { type SiteActors, startSiteActors } from '../../cli/internal/site-actors.ts';
import { requestScrape } from '../../cli/internal/sources.ts';
import type { ConfigOverrides, OmnivaConfig } from '../../config/index.ts';
import {
  type Arbitration,
  type ContractName,
  type ContractType,
  decode,
  type Envelope,
  type ExplainRequest,
  type Explanation,
  HEADERS,
  type StardustPacket,
} from '../../protocols/index.ts';
import { type Ledger, SiteClient } from '../../runtime/index.ts';
import { type FixtureResult, generateFixtures } from '../../scripts/fixtures.ts';
import { tempDir, waitFor } from '../support/nats.ts';

/** One message seen on the site, with the packet its publisher recorded it under. */
export interface Seen<T = unknown> {
  subject: string;
  channel: 'cmd' | 'evt' | 'adv';
  type: string;
  payload: T;
  envelope: Envelope;
  stardust_id: string;
}

export interface Scenario {
  config: Readonly<OmnivaConfig>;
  ledger: Ledger;
  actors: SiteActors;
  client: SiteClient;
  dataDir: string;
  /** The generated talk (scripts/fixtures.ts), with its planted highlight. */
  sample: FixtureResult;
  /** Every cmd/evt/adv message so far, in arrival order. */
  readonly seen: readonly Seen[];
  /** The messages of one contract so far, optionally filtered. */
  of<N extends ContractName>(
    type: N,
    match?: (p: ContractType<N>, m: Seen<ContractType<N>>) => boolean,
  ): Seen<ContractType<N>>[];
  /** Zenith's arbitrations so far, optionally filtered. */
  decisions(match?: (a: Arbitration) => boolean): Seen<Arbitration>[];
  /** Waits until `of(type, match)` has at least `n` messages; returns them. */
  next<N extends ContractName>(
    type: N,
    match?: (p: ContractType<N>) => boolean,
    timeoutMs?: number,
    n?: number,
  ): Promise<Seen<ContractType<N>>[]>;
  /** Asks Zenith to ingest a file (a WorkRequest advice, as `omniva demo` does). */
  ingest(file: string): Promise<string>;
  /** The stored packet; fails the test when it is not in the ledger. */
  packet(id: string): Promise<StardustPacket>;
  /** Ledger order of a packet (its stream sequence). */
  seq(id: string): Promise<number>;
  /** Every packet the given one descends from. */
  ancestors(id: string): Promise<Set<string>>;
  /** HaloLux's explanation, built from the ledger alone. */
  explain(subject: ExplainRequest['subject']): Promise<Explanation>;
  stop(): Promise<void>;
}

/** Ends the file if it runs longer than `ms`: a hung pipeline must fail the run, not stall it. */
export function timeBound(ms: number): void {
  setTimeout(() => {
    process.stderr.write(`time bound: scenario exceeded ${ms} ms\n`);
    process.exit(1);
  }, ms).unref();
}

export async function openScenario(overrides: ConfigOverrides = {}): Promise<Scenario> {
  const dataDir = tempDir('omniva-scenario-');
  const sample = await generateFixtures({ only: ['talk'] });
  const booted = await bootSite({
    overrides: {
      ...overrides,
      data_dir: dataDir,
      // Heartbeats would only fill the streams this harness reads.
      runtime: { heartbeat_ms: 0, ...overrides.runtime },
    },
  });
  const { config, site } = booted;
  const seen: Seen[] = [];
  const sub: Subscription = site.nc.subscribe(`omniva.${config.site_id}.>`, {
    callback: (err, m) => {
      if (err) return;
      const channel = m.subject.split('.')[2];
      if (channel !== 'cmd' && channel !== 'evt' && channel !== 'adv') return;
      try {
        const envelope = decode(
          m.data,
          m.headers?.get(HEADERS.contentType) || undefined,
        ) as Envelope;
        seen.push({
          subject: m.subject,
          channel,
          type: envelope.type,
          payload: envelope.payload,
          envelope,
          stardust_id: m.headers?.get(HEADERS.stardustId) ?? '',
        });
      } catch {
        // Not an envelope: nothing this harness reads.
      }
    },
  });
  const actors = await startSiteActors(booted);
  const client = new SiteClient(site.nc, config.site_id, {
    codec: config.codec,
    actor: 'operator',
    ledger: site.ledger,
  });
  await waitFor(() => actors.zenith?.current()?.state === 'running', 20_000);
  const halolux = createHaloLux(site.ledger);

  const of = <N extends ContractName>(
    type: N,
    match?: (p: ContractType<N>, m: Seen<ContractType<N>>) => boolean,
  ) =>
    (seen as Seen<ContractType<N>>[]).filter(
      (m) => m.type === type && (!match || match(m.payload, m)),
    );
  const node = async (id: string) => {
    let n = await site.ledger.lineage.node(id);
    if (!n) {
      await site.ledger.settle();
      await site.ledger.lineage.sync();
      n = await site.ledger.lineage.node(id);
    }
    assert.ok(n, `packet ${id} is in the ledger`);
    return n;
  };
  return {
    config,
    ledger: site.ledger,
    actors,
    client,
    dataDir,
    sample,
    seen,
    of,
    decisions: (match) => of('Arbitration', match ? (a) => match(a) : undefined),
    async next(type, match, timeoutMs = 120_000, n = 1) {
      return waitFor(
        () => {
          const hits = of(type, match ? (p) => match(p) : undefined);
          return hits.length >= n ? hits : undefined;
        },
        timeoutMs,
        50,
      );
    },
    ingest: (file) => requestScrape(client, { url: file }),
    async packet(id) {
      await node(id);
      const p = await site.ledger.get(id);
      assert.ok(p, `packet ${id} can be read`);
      return p;
    },
    seq: async (id) => (await node(id)).seq,
    async ancestors(id) {
      await node(id);
      return new Set((await site.ledger.lineage.ancestors(id)).map((h) => h.node.stardust_id));
    },
    async explain(subject) {
      await site.ledger.settle();
      await halolux.ready();
      return halolux.explain({ subject });
    },
    async stop() {
      sub.unsubscribe();
      halolux.close();
      await actors.stop();
      await site.close();
      booted.log.flush?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The body a packet recorded (small messages travel whole into the ledger). */
export function bodyOf<T = Record<string, unknown>>(p: StardustPacket): T {
  return ((p.payload as { body?: unknown }).body ?? {}) as T;
}

/** The contract name a packet recorded. */
export function typeOf(p: StardustPacket): string | undefined {
  return (p.payload as { type?: string }).type;
}

/** Exactly one hit, or the test fails naming what was looked for. */
export function one<T>(list: readonly T[], what: string): T {
  assert.is(list.length, 1, `exactly one ${what}, found ${list.length}`);
  return list[0] as T;
}

/** `HH:MM` in UTC. */
export const hhmm = (d: Date) =>
  `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
