import { type Actor, type AnyMachineSnapshot, type AnyStateMachine, createActor } from 'xstate';
import type { ActorKind, RuntimeEmit } from '../actor-kind.ts';
import { emptyRecord, type InstanceRecord, type InstanceState } from './record.ts';
import { SeenLog } from './seen-log.ts';

const RUNTIME_EMITS = new Set([
  'omniva.publish',
  'omniva.command',
  'omniva.effect',
  'omniva.timer.set',
  'omniva.timer.cancel',
  'omniva.reply',
]);

export class ActorFailure extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.cause = cause;
  }
}

/**
 * The machine's state at some point, stored later: either the snapshot, made storable only when
 * the write happens (once per batch, not per message), or an already storable one.
 */
export type Checkpoint = { snapshot: AnyMachineSnapshot } | { persisted: unknown };

/** Outcome of restoring a record written by another version of the machine. */
export type RestoreNote = 'fresh' | 'restored' | 'migrated' | 'reset';

/**
 * One live actor instance: the XState actor plus the record it was restored from.
 * Delivery is synchronous; the machine's emits are collected per delivery.
 */
export class Instance {
  readonly kind: ActorKind;
  readonly key: string;
  record: InstanceState;
  /** Message ids (and timer causes) already processed: the stored record's dedupe set. */
  readonly seen: SeenLog;
  /** KV revision of `record`; 0 when it has never been stored. */
  revision: number;
  readonly restoreNote: RestoreNote;
  readonly #actor: Actor<AnyStateMachine>;
  #collected: RuntimeEmit[] = [];

  constructor(kind: ActorKind, key: string, record: InstanceRecord | undefined, revision: number) {
    this.kind = kind;
    this.key = key;
    this.revision = revision;
    let snapshot: unknown = record?.machine;
    let note: RestoreNote = record?.machine === undefined ? 'fresh' : 'restored';
    if (record && record.kind_version !== kind.version && record.machine !== undefined) {
      if (kind.migrate) {
        snapshot = kind.migrate(record.machine, record.kind_version);
        note = 'migrated';
      } else {
        // Without a migration an old snapshot may not fit the new machine; start it afresh
        // rather than brick the instance (the host archives the old record first).
        snapshot = undefined;
        note = 'reset';
      }
    }
    this.restoreNote = note;
    const { seen, ...state } = record ?? emptyRecord(kind.name, kind.version, key);
    this.seen = SeenLog.fromEntries(seen);
    this.record = { ...state, kind_version: kind.version, machine: snapshot };
    this.#actor = createActor(
      kind.machine,
      snapshot === undefined ? {} : { snapshot: snapshot as never },
    );
    this.#actor.on('*', (e) => {
      if (RUNTIME_EMITS.has(e.type)) this.#collected.push(e as RuntimeEmit);
    });
    // Errors surface through the snapshot status; the observer keeps them from being thrown globally.
    this.#actor.subscribe({ error: () => {} });
    this.#actor.start();
    this.#throwIfFailed();
  }

  /** Sends one event and returns what the machine emitted in response. Throws ActorFailure. */
  deliver(event: { type: string; [field: string]: unknown }): RuntimeEmit[] {
    // A stopped XState actor ignores events silently; here that would lose a message.
    if (this.#actor.getSnapshot().status === 'stopped') {
      throw new ActorFailure(new Error(`instance ${this.kind.name}/${this.key} is stopped`));
    }
    this.#collected = [];
    this.#actor.send(event);
    this.#throwIfFailed();
    const out = this.#collected;
    this.#collected = [];
    return out;
  }

  persisted(): unknown {
    return this.#actor.getPersistedSnapshot();
  }

  /** The state after the last delivery (snapshots are immutable: later deliveries make new ones). */
  checkpoint(): Checkpoint {
    const snapshot = this.#actor.getSnapshot() as AnyMachineSnapshot;
    // Child actors are persisted from their live state, so with children it is captured now.
    for (const _ in snapshot.children) return { persisted: this.persisted() };
    return { snapshot };
  }

  persistedOf(c: Checkpoint): unknown {
    return 'persisted' in c ? c.persisted : this.#actor.logic.getPersistedSnapshot(c.snapshot);
  }

  view(): { state: string; context: unknown } {
    const s = this.#actor.getSnapshot();
    return {
      state: typeof s.value === 'string' ? s.value : JSON.stringify(s.value),
      context: s.context,
    };
  }

  stop(): void {
    this.#actor.stop();
  }

  #throwIfFailed(): void {
    const s = this.#actor.getSnapshot();
    if (s.status === 'error') throw new ActorFailure(s.error);
  }
}
