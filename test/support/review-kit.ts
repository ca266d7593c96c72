// Shared pieces of the review suites: a ledger machine that records what it applied, a
// connection wrapper that injects JetStream faults, and small readers for KV and consumers.
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { assign, emit, setup } from 'xstate';
import { type Envelope, subjects } from '../../protocols/index.ts';
import {
  type ActorKind,
  BUCKETS,
  defineActorKind,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type EffectHandler,
  type MessageEvent,
  type RpcEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { decodeRecord, recordKey } from '../../runtime/internal/record.ts';
import { waitFor } from './nats.ts';
import { SITE } from './site.ts';

export type LedgerContext = {
  /** `n` of every applied EchoRequest, in the order the instance applied them. */
  applied: number[];
  effects: { id: string; ok: boolean; code?: string; retryable?: boolean }[];
};

type LedgerEvents = MessageEvent<'EchoRequest'> | EffectDoneEvent | EffectFailedEvent | RpcEvent;

/**
 * EchoRequest text is `<key>/<command>`:
 * - `boom` throws inside the machine (a poison message),
 * - `effect:<name>` runs effect `<name>` and records its outcome before applying `n`,
 * - anything else applies `n` at once.
 * Every applied message publishes `evt.<actor>.applied` with its `n`.
 */
export function ledgerMachine(opts: { throwOnEffectFailed?: () => boolean } = {}) {
  const published = (n: number) => ({
    type: 'omniva.publish' as const,
    channel: 'evt' as const,
    name: 'applied',
    contract: 'EchoReply' as const,
    payload: { text: 'applied', n },
  });
  return setup({
    types: {} as {
      context: LedgerContext & { pendingN?: number };
      events: LedgerEvents;
      emitted: RuntimeEmit;
    },
  }).createMachine({
    context: { applied: [], effects: [] },
    initial: 'ready',
    on: {
      'rpc.status': {
        actions: emit(({ context, self }) => ({
          type: 'omniva.reply' as const,
          contract: 'StatusReply' as const,
          payload: {
            actor: 'ledger',
            instance_key: 'k',
            state: String(self.getSnapshot().value),
            context: { applied: context.applied, effects: context.effects },
          },
        })),
      },
    },
    states: {
      ready: {
        on: {
          EchoRequest: [
            {
              guard: ({ event }) => command(event.payload.text) === 'boom',
              actions: () => {
                throw new Error('ledger: poison message');
              },
            },
            {
              guard: ({ event }) => command(event.payload.text).startsWith('effect:'),
              target: 'waiting',
              actions: [
                assign({ pendingN: ({ event }) => event.payload.n ?? 0 }),
                emit(({ event }) => ({
                  type: 'omniva.effect' as const,
                  id: `fx-${event.meta.msg_id}`,
                  name: command(event.payload.text).slice('effect:'.length),
                  input: { n: event.payload.n ?? 0 },
                })),
              ],
            },
            {
              actions: [
                assign({
                  applied: ({ context, event }) => [...context.applied, event.payload.n ?? 0],
                }),
                emit(({ event }) => published(event.payload.n ?? 0)),
              ],
            },
          ],
        },
      },
      waiting: {
        on: {
          'effect.done': {
            target: 'ready',
            actions: [
              assign({
                effects: ({ context, event }) => [...context.effects, { id: event.id, ok: true }],
                applied: ({ context }) => [...context.applied, context.pendingN ?? 0],
              }),
              emit(({ context }) => published(context.pendingN ?? 0)),
            ],
          },
          'effect.failed': {
            target: 'ready',
            actions: [
              () => {
                if (opts.throwOnEffectFailed?.()) throw new Error('ledger: crash on failure');
              },
              assign({
                effects: ({ context, event }) => [
                  ...context.effects,
                  {
                    id: event.id,
                    ok: false,
                    code: event.error.code,
                    retryable: event.error.retryable,
                  },
                ],
              }),
            ],
          },
        },
      },
    },
  });
}

function command(text: string): string {
  const i = text.indexOf('/');
  return i < 0 ? text : text.slice(i + 1);
}

export function ledgerKey(env: Envelope): string {
  const { text = '', instance_key } = env.payload as { text?: string; instance_key?: string };
  if (instance_key) return instance_key;
  const i = text.indexOf('/');
  return i < 0 ? 'main' : text.slice(0, i);
}

/** The ledger machine as an actor kind on `omniva.<site>.cmd.<name>`. */
export function ledgerKind(
  name: string,
  opts: {
    effects?: Record<string, EffectHandler>;
    throwOnEffectFailed?: () => boolean;
  } = {},
): ActorKind {
  return defineActorKind({
    name,
    version: 1,
    machine: ledgerMachine(
      opts.throwOnEffectFailed ? { throwOnEffectFailed: opts.throwOnEffectFailed } : {},
    ),
    accepts: ['EchoRequest'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, name) },
    rpc: { status: 'StatusQuery' },
    key: ledgerKey,
    ...(opts.effects ? { effects: opts.effects } : {}),
  });
}

/** The stored instance record (as the runtime wrote it), or undefined. */
export async function readRecord(
  nc: NatsConnection,
  kind: string,
  key: string,
): Promise<
  | {
      machine: { context: LedgerContext; value: unknown; status?: string };
      seen: [string, number][];
      outbox: { cause: string }[];
      timers: Record<string, { at: number }>;
    }
  | undefined
> {
  const kv = await new Kvm(nc).open(BUCKETS.snapshots);
  const e = await kv.get(recordKey(kind, key));
  if (e?.operation !== 'PUT') return undefined;
  return decodeRecord(e.value) as never;
}

/** Consumer counters for an actor kind's durable on the command stream. */
export async function consumerState(
  nc: NatsConnection,
  kind: string,
): Promise<{ pending: number; ackPending: number; redelivered: number }> {
  const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.cmd, kind);
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
  };
}

/** Messages still stored in OMNIVA_CMD for a worker (work-queue retention: unacked ones). */
export async function storedCommands(nc: NatsConnection, worker: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAMS.cmd, {
    subjects_filter: subjects.cmd(SITE, worker),
  });
  return info.state.subjects?.[subjects.cmd(SITE, worker)] ?? 0;
}

export async function waitIdle(nc: NatsConnection, kind: string, timeoutMs = 15_000) {
  return waitFor(async () => {
    const s = await consumerState(nc, kind);
    return s.pending === 0 && s.ackPending === 0 ? s : undefined;
  }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a fault rule does with one JetStream publish / KV write (a request on `subject`). */
export type FaultAction =
  | 'pass'
  | 'fail'
  | 'hang'
  /** Let the request through, then never answer the caller (a crash right after it). */
  | 'pass-then-hang'
  /** Run `before` (e.g. a rival write), then let the request through. */
  | { before: () => Promise<void> };

export type FaultRule = (subject: string, headers: MsgHdrs | undefined) => FaultAction;

/**
 * Wraps a connection so that requests (which carry JetStream publishes and KV writes) go
 * through `rule` first. Everything else is passed to the real connection.
 */
export function faultyConnection(nc: NatsConnection, rule: FaultRule): NatsConnection {
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'request') {
        return async (subject: string, data?: Uint8Array, opts?: { headers?: MsgHdrs }) => {
          const action = rule(subject, opts?.headers);
          if (action === 'fail') throw new Error(`injected fault: publish to ${subject} failed`);
          if (action === 'hang') return new Promise(() => {});
          if (typeof action === 'object') await action.before();
          const reply = await target.request(subject, data, opts as never);
          if (action === 'pass-then-hang') return new Promise(() => {});
          return reply;
        };
      }
      if (prop === 'publish') {
        // JetStream publishes sent with a reply subject (the runtime's shared-inbox publisher)
        // are requests too: the same rule applies.
        return (
          subject: string,
          data?: Uint8Array,
          opts?: { reply?: string; headers?: MsgHdrs },
        ) => {
          if (!opts?.reply) return target.publish(subject, data, opts as never);
          const action = rule(subject, opts.headers);
          if (action === 'fail') throw new Error(`injected fault: publish to ${subject} failed`);
          if (action === 'hang') return;
          if (action === 'pass-then-hang') {
            const { reply: _dropped, ...rest } = opts;
            return target.publish(subject, data, rest as never);
          }
          if (typeof action === 'object') {
            Promise.resolve(action.before()).then(() =>
              target.publish(subject, data, opts as never),
            );
            return;
          }
          return target.publish(subject, data, opts as never);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Things a test opened; closed in `test.after` even when an assertion failed first. */
export class Cleanup {
  readonly #fns: (() => unknown)[] = [];

  add<T>(value: T, close: (v: T) => unknown): T {
    this.#fns.push(() => close(value));
    return value;
  }

  async run(): Promise<void> {
    for (const fn of this.#fns.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // best effort: the server goes away next anyway
      }
    }
  }
}
