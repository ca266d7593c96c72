// Shared pieces of the Stardust suites: a server + connection + ledger per suite, inputs,
// and a subscription that collects inconsistency advisories.
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decode, type Envelope } from '../../protocols/index.ts';
import { createLogger } from '../../runtime/index.ts';
import {
  type AppendInput,
  inconsistencySubject,
  type Ledger,
  type LedgerOptions,
  openLedger,
  STARDUST_STREAM,
} from '../../runtime/stardust/index.ts';
import { startTestServer, type TestServer } from '../support/nats.ts';

export const SITE = 'test';
export const silentLog = createLogger({ level: process.env.OMNIVA_TEST_LOG ?? 'silent' });

export interface Rig {
  server: TestServer;
  nc: NatsConnection;
  ledger: Ledger;
  extra: { close(): Promise<unknown> }[];
  /** Opens another connection + ledger on the same site (a second process, in effect). */
  another(opts?: Partial<LedgerOptions>): Promise<{ nc: NatsConnection; ledger: Ledger }>;
  close(): Promise<void>;
}

export async function startRig(opts: Partial<LedgerOptions> = {}): Promise<Rig> {
  const server = await startTestServer({ domain: SITE });
  const extra: { close(): Promise<unknown> }[] = [];
  const open = async (o: Partial<LedgerOptions>) => {
    const nc = await connect({ servers: server.url, noAsyncTraces: true });
    extra.push({ close: () => nc.close() });
    const ledger = await openLedger(nc, {
      site: SITE,
      log: silentLog,
      denyDelete: false,
      duplicateWindowMs: 120_000,
      ...o,
    });
    extra.push({ close: () => ledger.close() });
    return { nc, ledger };
  };
  try {
    const { nc, ledger } = await open(opts);
    return {
      server,
      nc,
      ledger,
      extra,
      another: (o = {}) => open({ ...opts, ...o }),
      async close() {
        for (const c of extra.reverse()) await c.close().catch(() => undefined);
        await server.cleanup();
      },
    };
  } catch (e) {
    for (const c of extra.reverse()) await c.close().catch(() => undefined);
    await server.cleanup();
    throw e;
  }
}

let counter = 0;

export function input(over: Partial<AppendInput> = {}): AppendInput {
  counter++;
  return {
    kind: 'event',
    ref: `ref-${counter}-${randomUUID().slice(0, 8)}`,
    actor: 'tester',
    trace_id: randomUUID(),
    entities: { job: [`job-${counter}`] },
    payload: { n: counter },
    ...over,
  };
}

/** Collects StardustInconsistency payloads published on the site's advisory subject. */
export function collectAdvisories(nc: NatsConnection): {
  items: Record<string, unknown>[];
  stop(): void;
} {
  const items: Record<string, unknown>[] = [];
  const sub = nc.subscribe(inconsistencySubject(SITE), {
    callback: (err, m) => {
      if (err) return;
      const env = decode(m.data, m.headers?.get('Content-Type')) as Envelope;
      items.push({ type: env.type, ...(env.payload as Record<string, unknown>) });
    },
  });
  return { items, stop: () => sub.unsubscribe() };
}

export async function storedCount(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(STARDUST_STREAM)).state.messages;
}

/**
 * A connection whose first `count` publishes matching `match` lose their JetStream ack: the
 * server stores the message, its answer goes to an inbox nobody reads (a lost ack).
 */
export function dropAcks(
  nc: NatsConnection,
  count: number,
  match: (subject: string) => boolean,
): NatsConnection & { dropped: () => number } {
  let dropped = 0;
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'dropped') return () => dropped;
      if (prop === 'publish') {
        return (subject: string, data?: Uint8Array, opts?: { reply?: string }) => {
          if (opts?.reply && dropped < count && match(subject)) {
            dropped++;
            return target.publish(subject, data, { ...opts, reply: `_VOID.${dropped}` });
          }
          return target.publish(subject, data, opts as never);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as NatsConnection & { dropped: () => number };
}
