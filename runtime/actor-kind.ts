import type { AnyStateMachine } from 'xstate';
import type {
  ContractName,
  ContractType,
  Envelope,
  ZenithCommandMeta,
} from '../protocols/index.ts';

/**
 * The contract between a pure machine and the runtime that hosts it.
 *
 * The runtime delivers events; the machine answers only by `emit(...)`-ing the
 * messages below. The machine never touches NATS, files or the wall clock: time
 * arrives as `now` on every event and effects run outside it.
 */

/** What the runtime tells the machine about the message that carried an event. */
export interface MessageMeta {
  msg_id: string;
  trace_id: string;
  site_id: string;
  _meta_parents: string[];
  emitted_at: string;
  actor?: string;
  /** The Stardust packet that recorded this message, when its publisher recorded it. */
  stardust_id?: string;
  /** Zenith's authority stamp, on commands. */
  command?: ZenithCommandMeta;
}

/** A validated message delivered to the machine: `type` is the contract name. */
export type MessageEvent<N extends ContractName = ContractName> = {
  type: N;
  payload: ContractType<N>;
  meta: MessageMeta;
  now: number;
};

export type EffectDoneEvent = {
  type: 'effect.done';
  id: string;
  name: string;
  output: unknown;
  now: number;
};
export type EffectFailedEvent = {
  type: 'effect.failed';
  id: string;
  name: string;
  error: { code: string; message: string; retryable: boolean };
  now: number;
};
export type RpcEvent = { type: `rpc.${string}`; request: unknown; now: number };

/** Publish a validated message on this actor's `evt`, `adv` or `alert` subject. */
export type PublishEmit = {
  type: 'omniva.publish';
  channel: 'evt' | 'adv' | 'alert';
  /** The last subject token: event name, advisory kind or alert type. */
  name: string;
  contract: ContractName;
  payload: unknown;
  /** Stardust packet ids this message derives from. */
  parents?: string[];
};
/**
 * Issue a command to a worker (Zenith only: the host must hold the site's lease). The runtime
 * stamps the lease epoch; `evidence` names the Stardust packets the decision was based on.
 */
export type CommandEmit = {
  type: 'omniva.command';
  worker: string;
  /** One instance of the worker kind; omitted, any instance may take it. */
  instance?: string;
  contract: ContractName;
  payload: unknown;
  evidence: string[];
  rollback: { action: string; notes: string };
};
/** Ask the runtime to run a named effect; the result comes back as effect.done / effect.failed. */
export type EffectEmit = { type: 'omniva.effect'; id: string; name: string; input: unknown };
/** Arm (or re-arm) a timer at an absolute time; it survives restarts. */
export type TimerSetEmit = {
  type: 'omniva.timer.set';
  id: string;
  at: number;
  event: { type: string };
};
export type TimerCancelEmit = { type: 'omniva.timer.cancel'; id: string };
/** The answer to an rpc event. */
export type ReplyEmit = { type: 'omniva.reply'; contract: ContractName; payload: unknown };

export type RuntimeEmit =
  | PublishEmit
  | CommandEmit
  | EffectEmit
  | TimerSetEmit
  | TimerCancelEmit
  | ReplyEmit;

/** Context handed to an effect: the key lets it make its own side effect idempotent. */
export interface EffectContext {
  /** Stable across redeliveries of the same message: `<kind>.<instance>.<effect id>`. */
  idempotencyKey: string;
  site: string;
  signal: AbortSignal;
  /**
   * Publishes a message at once on `evt.<actor>.<name>` (validated, recorded), for progress
   * while the effect runs; the step's own messages go out only after it.
   */
  report: (name: string, contract: ContractName, payload: unknown) => void;
}
export type EffectHandler = (input: unknown, ctx: EffectContext) => Promise<unknown>;

export interface WorkBinding {
  /** Stream holding the subjects below. */
  stream: string;
  /** Durable consumer name; defaults to the kind's name. */
  durable?: string;
  /** Subject filter for this actor's durable consumer, e.g. subjects.cmd(site, 'editor'). */
  filter: (site: string) => string | readonly string[];
}

export interface ActorKind<M extends AnyStateMachine = AnyStateMachine> {
  /** Subject token and durable consumer name. */
  name: string;
  /** Bump when persisted snapshots of an older machine cannot be restored as they are. */
  version: number;
  machine: M;
  /** Message types (contract names) the work binding accepts. */
  accepts: readonly ContractName[];
  work?: WorkBinding;
  /**
   * A placeable instance of a worker kind (Zenith addresses it as cmd.<worker>.<instance>):
   * its heartbeats name it so, and Eclipse watches them for gaps.
   */
  placement?: { worker: string; instance: string };
  /**
   * Effects of this kind can be aborted mid-run by a CancelRequest on `rpc.<name>.cancel`
   * (long renders, uploads); the effect then fails with code `cancelled`.
   */
  cancellable?: boolean;
  /** Request/reply verbs served on `omniva.<site>.rpc.<name>.<verb>`, and their request contract. */
  rpc?: Readonly<Record<string, ContractName>>;
  /** Which instance a message belongs to; one instance processes its messages in order. */
  key?: (envelope: Envelope) => string;
  /** Turns a snapshot persisted by an older `version` into one this machine can restore. */
  migrate?: (persisted: unknown, fromVersion: number) => unknown;
  effects?: Readonly<Record<string, EffectHandler>>;
}

export function defineActorKind<M extends AnyStateMachine>(kind: ActorKind<M>): ActorKind<M> {
  return kind;
}
