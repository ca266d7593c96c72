import {
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import {
  decode,
  type Envelope,
  OmnivaError,
  subjects,
  validateMessage,
} from '../protocols/index.ts';
import type { ActorKind } from './actor-kind.ts';
import { EffectJournal } from './effects.ts';
import type { EpochGuard } from './fencing.ts';
import { emptyStats, type HostDeps, type HostStats } from './host-deps.ts';
import { AckedPublisher } from './internal/acked-publisher.ts';
import { Alarms } from './internal/alarms.ts';
import { Cancellations, HostStopping } from './internal/cancellation.ts';
import { bindConsumer } from './internal/consumer.ts';
import { deadLetter } from './internal/dead-letter.ts';
import { causeOf, type DeliverDeps, deliverItem, type WorkItem } from './internal/deliver.ts';
import type { Instance } from './internal/instance.ts';
import { InstanceStore, type PendingWrite } from './internal/instance-store.ts';
import { KeepAlive } from './internal/keep-alive.ts';
import { Mailboxes } from './internal/mailboxes.ts';
import { toOmnivaError } from './internal/messages.ts';
import { contentTypeOf, publishRecorded } from './internal/outbound.ts';
import { Recorder } from './internal/recorder.ts';
import { serveRequests } from './internal/rpc-binding.ts';
import { escalationEnvelope, heartbeatEnvelope } from './internal/signals.ts';
import { RestartBudget } from './internal/supervisor.ts';
import { Telemetry } from './internal/telemetry.ts';
import type { Logger } from './logger.ts';
import { BUCKETS } from './provision.ts';
import { publishSignal } from './signal-bus.ts';

export type { HostDeps, HostHooks, HostOptions, HostStats } from './host-deps.ts';

const PERSIST_ATTEMPTS = 5;
const BATCH_MAX = 64;

/**
 * Runs one actor kind on one site. Per work message: decode → validate → dedupe →
 * restore → deliver (effects journaled) → persist snapshot (revision-checked) →
 * publish emitted messages → ack. Messages that queue up for one instance while it is
 * busy share one snapshot write (group commit). See design.md §4.
 */
export class ActorHost {
  readonly kind: ActorKind;
  readonly #d: HostDeps;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #mailboxes = new Mailboxes();
  readonly #pending = new Map<string, WorkItem[]>();
  readonly #alarms = new Alarms(
    () => this.#now(),
    (key, id, at) => {
      if (this.#state === 'running') this.#enqueue(key, { kind: 'timer', id, at });
    },
    (key) => {
      if (this.#state === 'running') this.#store.get(key).then((i) => this.#armTimers(i));
    },
  );
  readonly #budget: RestartBudget;
  readonly #keepAlive: KeepAlive;
  readonly #recorder: Recorder;
  readonly #abort = new AbortController();
  readonly #stats: HostStats = emptyStats();
  #js!: JetStreamClient;
  #jsm!: JetStreamManager;
  #store!: InstanceStore;
  #publisher!: AckedPublisher;
  #deliverDeps!: DeliverDeps;
  readonly #messages: ConsumerMessages[] = [];
  /** Set when the kind reads several subjects of a stream through one consumer. */
  #wants: ((subject: string) => boolean) | undefined;
  #rpcSubs: Subscription[] = [];
  readonly #cancels = new Cancellations(this.#abort.signal);
  #consumeLoop: Promise<void> | undefined;
  #pausedUntil = 0;
  #rescanTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  readonly #startedAt = Date.now();
  #state: 'new' | 'running' | 'draining' | 'stopped' = 'new';

  constructor(deps: HostDeps, kind: ActorKind) {
    this.kind = kind;
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    // site_id, actor (and per message trace_id) on every line, without repeating a root's site_id.
    const site = deps.log.bindings().site_id === deps.site ? {} : { site_id: deps.site };
    this.#log = deps.log.child({ ...site, actor: kind.name });
    const o = deps.options;
    this.#budget = new RestartBudget(o.restart_intensity, o.restart_period_ms);
    this.#keepAlive = new KeepAlive(o.ack_wait_ms);
    this.#recorder = new Recorder(deps.ledger, kind.name);
  }

  get state(): string {
    return this.#state;
  }

  get stats(): Readonly<HostStats> {
    return { ...this.#stats };
  }

  async start(): Promise<void> {
    const { nc, options: o } = this.#d;
    this.#js = jetstream(nc);
    this.#jsm = await jetstreamManager(nc);
    this.#publisher = new AckedPublisher(nc);
    // A message can come back until every delivery attempt has timed out or been nak'ed;
    // after that its id need not be remembered.
    const horizonMs =
      o.max_deliver * (o.ack_wait_ms + Math.max(0, ...o.backoff_ms)) + o.escalation_pause_ms;
    this.#store = new InstanceStore(
      this.kind,
      await new Kvm(nc).open(BUCKETS.snapshots),
      this.#publisher,
      this.#d.codec,
      o.dedupe_window,
      horizonMs,
      this.#log,
      this.#now,
      this.#recorder,
    );
    this.#deliverDeps = {
      site: this.#d.site,
      now: this.#now,
      journal: new EffectJournal(await new Kvm(nc).open(BUCKETS.effects), this.#d.site),
      cancellations: this.#cancels,
      telemetry: new Telemetry(this.#js, this.#d, this.kind.name, this.#recorder, this.#log),
      ...(this.#d.authority ? { authority: this.#d.authority } : {}),
    };
    if (this.kind.work) await this.#startWork();
    this.#rpcSubs = serveRequests({
      nc,
      js: this.#js,
      site: this.#d.site,
      hostId: this.#d.hostId,
      codec: this.#d.codec,
      kind: this.kind,
      store: this.#store,
      log: this.#log,
      now: this.#now,
      cancellations: this.#cancels,
    });
    this.#state = 'running';
    if (this.kind.work) {
      // Deadlines that passed while no host ran fire now; outboxes left by a crash are sent.
      await this.#rescan();
      const every = o.timer_rescan_ms ?? 10_000;
      this.#rescanTimer = setInterval(() => {
        this.#rescan().catch((e) => this.#log.warn({ err: e }, 'timer rescan failed'));
      }, every);
      this.#rescanTimer.unref();
    }
    const hbMs = o.heartbeat_ms ?? 5_000;
    if (hbMs > 0) {
      this.#heartbeat();
      this.#heartbeatTimer = setInterval(() => this.#heartbeat(), hbMs);
      this.#heartbeatTimer.unref();
    }
    this.#log.info('actor host started');
  }

  /** Liveness for Eclipse: a worker instance whose heartbeats stop is quarantined. */
  #heartbeat(): void {
    const envelope = heartbeatEnvelope(this.#identity(), {
      degraded: this.#now() < this.#pausedUntil,
      uptimeS: Math.round((Date.now() - this.#startedAt) / 1000),
      inFlight: this.#mailboxes.busy,
      now: this.#now(),
    });
    // Core publish: a lost heartbeat is what a gap looks like anyway.
    publishSignal(this.#d.nc, subjects.hb(this.#d.site, this.#d.hostId), envelope, this.#d.codec);
  }

  #identity() {
    const { site, hostId } = this.#d;
    return { site, hostId, kind: this.kind.name, placement: this.kind.placement };
  }

  /** Loads instances whose stored record has timers or unsent messages, and arms their timers. */
  async #rescan(): Promise<void> {
    for (const key of await this.#store.keysNeedingAttention()) {
      if (this.#state !== 'running') return;
      await this.#mailboxes.run(key, async () => {
        await this.#store.refresh(key);
        this.#armTimers(await this.#store.get(key));
      });
    }
  }

  /** Stops taking new work, lets in-flight messages finish (bounded), then stops. */
  async drain(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'draining';
    for (const m of this.#messages) m.stop();
    for (const s of this.#rpcSubs) await s.drain();
    const settled = await this.#mailboxes.settled(this.#d.options.drain_timeout_ms);
    if (!settled) this.#log.warn('drain timed out; unacked messages will be redelivered');
    await this.#consumeLoop;
    this.stop();
  }

  stop(): void {
    clearInterval(this.#rescanTimer);
    clearInterval(this.#heartbeatTimer);
    this.#abort.abort(new HostStopping());
    for (const m of this.#messages) m.stop();
    for (const s of this.#rpcSubs) s.unsubscribe();
    this.#alarms.clear();
    this.#store?.stopAll();
    this.#publisher?.close();
    this.#state = 'stopped';
  }

  /** Tooling view of an instance's latest stored state (another host may have written it). */
  async inspect(key = 'main'): Promise<{ state: string; context: unknown; revision: number }> {
    if (this.kind.work) await this.#mailboxes.run(key, () => this.#store.refresh(key));
    const inst = await this.#store.get(key);
    return { ...inst.view(), revision: inst.revision };
  }

  // ---- intake -------------------------------------------------------------------------------

  async #startWork(): Promise<void> {
    const work = this.kind.work as NonNullable<ActorKind['work']>;
    const o = this.#d.options;
    const { messages, wants } = await bindConsumer(
      this.#jsm,
      this.#js,
      {
        stream: work.stream,
        durable: work.durable ?? this.kind.name,
        filter: work.filter(this.#d.site),
        ackWaitMs: o.ack_wait_ms,
        maxDeliver: o.max_deliver,
        maxInFlight: o.max_in_flight,
      },
      (m) => {
        this.#onWork(m)?.catch((e) => this.#log.error({ err: e }, 'unhandled work failure'));
      },
    );
    this.#wants = wants;
    this.#messages.push(messages);
    this.#consumeLoop = messages.closed().then(() => undefined);
  }

  /** Admits a message to its instance's queue; a promise only when it is turned away. */
  #onWork(m: JsMsg): Promise<void> | undefined {
    if (this.#wants && !this.#wants(m.subject)) {
      m.ack(); // another actor's subject on a shared stream: not ours to judge
      return;
    }
    if (this.#now() < this.#pausedUntil) {
      return this.#retryLater(m, this.#pausedUntil - this.#now(), 'kind paused after escalation');
    }
    let doc: unknown;
    try {
      doc = decode(m.data, contentTypeOf(m.headers));
    } catch (e) {
      return this.#reject(m, toOmnivaError(e));
    }
    const v = validateMessage(doc, this.kind.accepts);
    if (!v.ok) return this.#reject(m, v.error, doc);
    if (this.#d.fencing && m.subject.startsWith(`omniva.${this.#d.site}.cmd.`)) {
      return this.#fenced(m, v.envelope).then((ok) =>
        ok ? this.#admit(m, v.envelope) : undefined,
      );
    }
    return this.#admit(m, v.envelope);
  }

  #admit(m: JsMsg, env: Envelope): Promise<void> | undefined {
    let key: string;
    try {
      key = this.kind.key?.(env) ?? 'main';
    } catch (e) {
      const reason = `no instance key for this message: ${(e as Error).message}`;
      return this.#reject(
        m,
        new OmnivaError('OMNIVA_ERR_ACTOR_FAILED', reason, undefined, { retryable: false }),
        env,
      );
    }
    this.#enqueue(key, { kind: 'msg', m, env });
    return undefined;
  }

  /** True when the command's epoch is current; otherwise the command is refused with its reason. */
  async #fenced(m: JsMsg, env: Envelope): Promise<boolean> {
    const guard = this.#d.fencing as EpochGuard;
    if (!env.command) {
      const reason = "a command without Zenith's authority stamp (epoch) is refused";
      await this.#reject(m, new OmnivaError('OMNIVA_ERR_STALE_EPOCH', reason), env);
      return false;
    }
    try {
      const check = await guard.check(env.command.epoch);
      if (check.ok) return true;
      await this.#reject(m, check.error, env);
    } catch (e) {
      await this.#retryLater(m, this.#backoff(m.info.deliveryCount), toOmnivaError(e).message, env);
    }
    return false;
  }

  /** Naks with a delay, or dead-letters when this was the last delivery JetStream will make. */
  async #retryLater(m: JsMsg, delayMs: number, why: string, env?: Envelope): Promise<void> {
    if (m.info.deliveryCount >= this.#d.options.max_deliver) {
      const reason = `gave up after ${m.info.deliveryCount} deliveries: ${why}`;
      await this.#reject(m, new OmnivaError('OMNIVA_ERR_MAX_DELIVER', reason), env);
    } else {
      m.nak(delayMs);
    }
  }

  /** Queues work for an instance; one loop per instance drains its queue in batches. */
  #enqueue(key: string, item: WorkItem): void {
    const queue = this.#pending.get(key);
    if (queue) {
      queue.push(item);
      return;
    }
    this.#pending.set(key, [item]);
    this.#mailboxes
      .run(key, () => this.#drainQueue(key))
      .catch((e) => this.#log.error({ err: e, key }, 'instance queue failed'));
  }

  async #drainQueue(key: string): Promise<void> {
    for (;;) {
      const queue = this.#pending.get(key);
      if (!queue || queue.length === 0) {
        this.#pending.delete(key);
        return;
      }
      const batch = queue.splice(0, BATCH_MAX);
      try {
        queue.unshift(...(await this.#processBatch(key, batch)));
      } catch (e) {
        // A failure outside the machine (KV, publish, restore): nothing of this batch was
        // acked, so it is retried; the queue itself must keep going.
        this.#store.evict(key);
        this.#log.error({ err: e, key }, 'batch failed outside the machine; retrying later');
        await this.#retryBatch(key, batch, String((e as Error)?.message ?? e));
      }
    }
  }

  async #retryBatch(key: string, items: WorkItem[], why: string): Promise<void> {
    for (const item of items) {
      if (item.kind === 'msg') {
        await this.#retryLater(
          item.m,
          this.#backoff(item.m.info.deliveryCount),
          why,
          item.env,
        ).catch(() => {});
      } else {
        setTimeout(() => this.#enqueue(key, item), this.#backoff(1)).unref();
      }
    }
  }

  // ---- processing ---------------------------------------------------------------------------

  /** Processes a batch for one instance with one snapshot write; returns items left for later. */
  async #processBatch(key: string, items: WorkItem[]): Promise<WorkItem[]> {
    this.#keepAlive.hold(items);
    try {
      return await this.#processBatchOnce(key, items);
    } finally {
      this.#keepAlive.release(items);
    }
  }

  async #processBatchOnce(key: string, items: WorkItem[]): Promise<WorkItem[]> {
    for (let attempt = 1; attempt <= PERSIST_ATTEMPTS; attempt++) {
      const inst = this.#store.cached(key) ?? (await this.#store.get(key));
      const write: PendingWrite = {
        machine: { persisted: inst.record.machine },
        timers: { ...inst.record.timers },
        outbox: [],
        causes: [],
      };
      const done: WorkItem[] = [];
      const dups: WorkItem[] = [];
      let failure: { item: WorkItem; error: OmnivaError; rest: WorkItem[] } | undefined;
      // Ids processed earlier (stored with the snapshot) or earlier in this batch.
      const batchSeen = new Set<string>();
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as WorkItem;
        const cause = causeOf(item);
        if (inst.seen.has(cause) || batchSeen.has(cause)) {
          dups.push(item);
          continue;
        }
        try {
          // Synchronous unless the step runs an effect: no turn of the event loop per message.
          const stepped = deliverItem(this.#deliverDeps, inst, item, write);
          if (!(typeof stepped === 'boolean' ? stepped : await stepped)) continue;
          batchSeen.add(cause);
          done.push(item);
        } catch (e) {
          failure = { item, error: toOmnivaError(e), rest: items.slice(i + 1) };
          break;
        }
      }
      if (this.#abort.signal.aborted) {
        // Stopped mid-batch: nothing is stored or acked; the messages come back elsewhere.
        this.#store.evict(key);
        return [];
      }
      if (write.causes.length > 0) {
        if (!(await this.#store.persist(inst, write))) {
          this.#store.evict(key);
          this.#stats.conflicts++;
          continue;
        }
        this.#stats.writes++;
      }
      if (inst.record.outbox.length > 0) await this.#store.publishPending(inst);
      await this.#ack(key, done, dups);
      this.#armTimers(inst);
      if (!failure) return [];
      this.#store.evict(key);
      await this.#crashed(key, failure.item, failure.error);
      return failure.rest;
    }
    await this.#retryBatch(key, items, 'lost every snapshot write race to other hosts');
    return [];
  }

  async #ack(key: string, done: WorkItem[], dups: WorkItem[]): Promise<void> {
    const beforeAck = this.#d.hooks?.beforeAck;
    let processed = 0;
    for (const item of [...done, ...dups]) {
      if (item.kind !== 'msg') {
        this.#stats.timers_fired++;
        continue;
      }
      if (beforeAck) await beforeAck({ msg_id: item.env.msg_id, key });
      item.m.ack();
    }
    for (const item of done) if (item.kind === 'msg') processed++;
    this.#stats.processed += processed;
    this.#stats.duplicates += dups.length;
    for (const item of dups) {
      if (item.kind === 'msg')
        this.#msgLog(item.env).info({ key }, 'duplicate delivery acknowledged');
    }
    if (this.#log.isLevelEnabled('debug')) {
      for (const item of done) {
        if (item.kind === 'msg') this.#msgLog(item.env).debug({ key }, 'message processed');
      }
    }
  }

  // ---- failure ------------------------------------------------------------------------------

  async #crashed(key: string, item: WorkItem, err: OmnivaError): Promise<void> {
    this.#stats.crashes++;
    const log = item.kind === 'msg' ? this.#msgLog(item.env) : this.#log.child({ timer: item.id });
    log.error(
      { key, code: err.code, err: err.message },
      'actor failed; restarting from last snapshot',
    );
    if (this.#budget.crash(this.#now())) await this.#escalate(key, err);
    if (item.kind === 'timer') {
      // The timer stays in the stored record; try it again after a pause.
      setTimeout(() => this.#enqueue(key, item), this.#backoff(1));
      return;
    }
    const { m } = item;
    const lastTry = m.info.deliveryCount >= this.#d.options.max_deliver;
    if (err.retryable && !lastTry) {
      m.nak(this.#backoff(m.info.deliveryCount));
      return;
    }
    const reason =
      lastTry && err.retryable
        ? new OmnivaError(
            'OMNIVA_ERR_MAX_DELIVER',
            `gave up after ${m.info.deliveryCount} deliveries: ${err.message}`,
          )
        : err;
    await this.#reject(m, reason, item.env);
  }

  async #escalate(key: string, err: OmnivaError): Promise<void> {
    const o = this.#d.options;
    this.#pausedUntil = this.#now() + o.escalation_pause_ms;
    const restarts = this.#budget.recent;
    this.#budget.reset();
    this.#log.error(
      { restarts, pause_ms: o.escalation_pause_ms },
      'restart budget exhausted; escalating',
    );
    const envelope = escalationEnvelope(this.#identity(), {
      key,
      restarts,
      periodMs: o.restart_period_ms,
      error: err,
      now: this.#now(),
    });
    const subject = subjects.alert(this.#d.site, 'actor_escalation');
    await publishRecorded(this.#js, this.#recorder, this.#d.codec, subject, envelope);
  }

  /** Dead-letters a message with its reason and terminates it, so it is never redelivered. */
  async #reject(m: JsMsg, err: OmnivaError, doc?: unknown): Promise<void> {
    await deadLetter({
      js: this.#js,
      site: this.#d.site,
      actor: this.kind.name,
      codec: this.#d.codec,
      subject: m.subject,
      data: m.data,
      contentType: contentTypeOf(m.headers),
      deliveryCount: m.info.deliveryCount,
      error: err,
      doc,
      now: this.#now,
      dedupeKey: `dlq.${this.kind.name}.${m.info.stream}.${m.info.streamSequence}`,
      recorder: this.#recorder,
    });
    this.#stats.dead_lettered++;
    m.term(`${err.code}: ${err.message}`.slice(0, 200));
    const env = doc as Partial<Envelope> | undefined;
    const log = typeof env?.trace_id === 'string' ? this.#msgLog(env as Envelope) : this.#log;
    log.warn({ code: err.code, reason: err.message, subject: m.subject }, 'message dead-lettered');
  }

  #msgLog(env: Pick<Envelope, 'trace_id' | 'msg_id'>): Logger {
    return this.#log.child({ trace_id: env.trace_id, msg_id: env.msg_id });
  }

  #backoff(deliveryCount: number): number {
    const b = this.#d.options.backoff_ms;
    return b[Math.min(deliveryCount - 1, b.length - 1)] ?? 1000;
  }

  // ---- timers -------------------------------------------------------------------------------

  /** Arms an in-process timer for every deadline in the record; they fire through the queue. */
  #armTimers(inst: Instance): void {
    if (this.#state !== 'stopped') this.#alarms.arm(inst.key, inst.record.timers);
  }
}
