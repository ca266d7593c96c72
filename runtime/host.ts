import {
  AckPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type Codec,
  decode,
  type Envelope,
  makeEnvelope,
  OmnivaError,
  subjects,
  validateMessage,
} from '../protocols/index.ts';
import type { ActorKind, MessageMeta } from './actor-kind.ts';
import { EffectJournal } from './effects.ts';
import { deadLetter, errorReply } from './internal/dead-letter.ts';
import { ActorFailure, type Instance } from './internal/instance.ts';
import { InstanceStore } from './internal/instance-store.ts';
import { Mailboxes } from './internal/mailboxes.ts';
import { contentTypeOf, encodeEnvelope } from './internal/outbound.ts';
import type { InstanceRecord } from './internal/record.ts';
import { runStep, type StepOutcome } from './internal/step.ts';
import { RestartBudget } from './internal/supervisor.ts';
import type { Logger } from './logger.ts';
import { BUCKETS } from './provision.ts';

/** The runtime section of the configuration, as the host needs it. */
export interface HostOptions {
  ack_wait_ms: number;
  max_deliver: number;
  backoff_ms: readonly number[];
  max_in_flight: number;
  dedupe_window: number;
  restart_intensity: number;
  restart_period_ms: number;
  escalation_pause_ms: number;
  drain_timeout_ms: number;
}

/** Seams where tests inject faults (a crash just before the ack, for instance). */
export interface HostHooks {
  beforeAck?: (info: { msg_id: string; key: string }) => void | Promise<void>;
}

export interface HostDeps {
  nc: NatsConnection;
  site: string;
  hostId: string;
  codec: Codec;
  log: Logger;
  options: HostOptions;
  hooks?: HostHooks;
  now?: () => number;
}

/** Counters since the host started. */
export interface HostStats {
  processed: number;
  /** Redeliveries recognised by message id and acked without processing again. */
  duplicates: number;
  dead_lettered: number;
  crashes: number;
  /** Snapshot writes that lost a revision race to another host and were redone. */
  conflicts: number;
  timers_fired: number;
}

const PERSIST_ATTEMPTS = 5;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs one actor kind on one site. Per work message: decode → validate → dedupe →
 * restore → deliver (effects journaled) → persist snapshot (revision-checked) →
 * publish emitted messages → ack. See design.md §4.
 */
export class ActorHost {
  readonly kind: ActorKind;
  readonly #d: HostDeps;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #mailboxes = new Mailboxes();
  readonly #timers = new Map<string, { at: number; handle: NodeJS.Timeout }>();
  readonly #budget: RestartBudget;
  readonly #abort = new AbortController();
  #js!: JetStreamClient;
  #jsm!: JetStreamManager;
  #store!: InstanceStore;
  #journal!: EffectJournal;
  #messages: ConsumerMessages | undefined;
  #rpcSub: Subscription | undefined;
  #consumeLoop: Promise<void> | undefined;
  #pausedUntil = 0;
  readonly #stats: HostStats = {
    processed: 0,
    duplicates: 0,
    dead_lettered: 0,
    crashes: 0,
    conflicts: 0,
    timers_fired: 0,
  };
  #state: 'new' | 'running' | 'draining' | 'stopped' = 'new';

  constructor(deps: HostDeps, kind: ActorKind) {
    this.kind = kind;
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.log.child({ site_id: deps.site, actor: kind.name, host_id: deps.hostId });
    this.#budget = new RestartBudget(
      deps.options.restart_intensity,
      deps.options.restart_period_ms,
    );
  }

  get state(): string {
    return this.#state;
  }

  get stats(): Readonly<HostStats> {
    return { ...this.#stats };
  }

  async start(): Promise<void> {
    const { nc } = this.#d;
    this.#js = jetstream(nc);
    this.#jsm = await jetstreamManager(nc);
    this.#store = new InstanceStore(
      this.kind,
      await new Kvm(nc).open(BUCKETS.snapshots),
      this.#js,
      this.#d.codec,
      this.#d.options.dedupe_window,
      this.#log,
      this.#now,
    );
    this.#journal = new EffectJournal(await new Kvm(nc).open(BUCKETS.effects), this.#d.site);
    await this.#rearmStoredTimers();
    if (this.kind.work) await this.#startWork();
    if (this.kind.rpc) this.#startRpc();
    this.#state = 'running';
    this.#log.info('actor host started');
  }

  /** Stops taking new work, lets in-flight messages finish (bounded), then stops. */
  async drain(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'draining';
    this.#messages?.stop();
    await this.#rpcSub?.drain();
    const settled = await this.#mailboxes.settled(this.#d.options.drain_timeout_ms);
    if (!settled) this.#log.warn('drain timed out; unacked messages will be redelivered');
    await this.#consumeLoop;
    this.stop();
  }

  stop(): void {
    this.#abort.abort();
    this.#messages?.stop();
    this.#rpcSub?.unsubscribe();
    for (const t of this.#timers.values()) clearTimeout(t.handle);
    this.#timers.clear();
    this.#store?.stopAll();
    this.#state = 'stopped';
  }

  // ---- work binding -------------------------------------------------------------------------

  async #startWork(): Promise<void> {
    const work = this.kind.work as NonNullable<ActorKind['work']>;
    const o = this.#d.options;
    const ms = (n: number) => n * 1e6;
    const backoff = o.max_deliver > o.backoff_ms.length ? o.backoff_ms.map(ms) : undefined;
    const config = {
      durable_name: this.kind.name,
      filter_subject: work.filter(this.#d.site),
      ack_policy: AckPolicy.Explicit,
      ack_wait: ms(o.ack_wait_ms),
      max_deliver: o.max_deliver,
      max_ack_pending: o.max_in_flight * 4,
      ...(backoff ? { backoff } : {}),
    };
    const exists = await this.#jsm.consumers
      .info(work.stream, this.kind.name)
      .catch(() => undefined);
    if (exists) await this.#jsm.consumers.update(work.stream, this.kind.name, config);
    else await this.#jsm.consumers.add(work.stream, config);
    const consumer = await this.#js.consumers.get(work.stream, this.kind.name);
    this.#messages = await consumer.consume({ max_messages: o.max_in_flight });
    const messages = this.#messages;
    this.#consumeLoop = (async () => {
      for await (const m of messages) {
        this.#onWork(m).catch((e) => this.#log.error({ err: e }, 'unhandled work failure'));
      }
    })();
  }

  async #onWork(m: JsMsg): Promise<void> {
    if (this.#now() < this.#pausedUntil) {
      m.nak(this.#pausedUntil - this.#now());
      return;
    }
    let doc: unknown;
    try {
      doc = decode(m.data, contentTypeOf(m.headers));
    } catch (e) {
      await this.#reject(m, e as OmnivaError);
      return;
    }
    const v = validateMessage(doc, this.kind.accepts);
    if (!v.ok) {
      await this.#reject(m, v.error, doc);
      return;
    }
    const env = v.envelope;
    const key = this.kind.key?.(env) ?? 'main';
    await this.#mailboxes.run(key, () => this.#processWork(m, env, key));
  }

  async #processWork(m: JsMsg, env: Envelope, key: string): Promise<void> {
    const log = this.#log.child({ trace_id: env.trace_id, msg_id: env.msg_id, key });
    for (let attempt = 1; attempt <= PERSIST_ATTEMPTS; attempt++) {
      const inst = await this.#store.get(key);
      if (inst.record.seen.includes(env.msg_id)) {
        // Already processed (a crash came before the ack): finish the publish, then ack.
        await this.#store.publish(inst, env.msg_id);
        m.ack();
        this.#stats.duplicates++;
        log.info('duplicate delivery acknowledged without reprocessing');
        return;
      }
      let outcome: StepOutcome;
      try {
        outcome = await runStep({
          instance: inst,
          event: { type: env.type, payload: env.payload, meta: metaOf(env), now: this.#now() },
          cause: env.msg_id,
          causationId: env.msg_id,
          site: this.#d.site,
          trace_id: env.trace_id,
          journal: this.#journal,
          signal: this.#abort.signal,
          now: this.#now,
        });
      } catch (e) {
        await this.#crashed(m, key, e, log, env);
        return;
      }
      if (!(await this.#store.persist(inst, outcome, env.msg_id))) {
        this.#store.evict(key);
        this.#stats.conflicts++;
        log.debug({ attempt }, 'snapshot revision conflict; reloading');
        continue;
      }
      await this.#store.publish(inst, env.msg_id);
      await this.#d.hooks?.beforeAck?.({ msg_id: env.msg_id, key });
      m.ack();
      this.#stats.processed++;
      this.#armTimers(inst);
      log.debug('message processed');
      return;
    }
    m.nak(this.#backoff(m.info.deliveryCount));
  }

  async #crashed(m: JsMsg, key: string, e: unknown, log: Logger, env: Envelope): Promise<void> {
    this.#store.evict(key);
    this.#stats.crashes++;
    const err = toOmnivaError(e);
    log.error({ code: err.code, err: err.message }, 'actor failed; restarting from last snapshot');
    if (this.#budget.crash(this.#now())) await this.#escalate(key, err);
    const lastTry = m.info.deliveryCount >= this.#d.options.max_deliver;
    if (!err.retryable || lastTry) {
      const reason =
        lastTry && err.retryable
          ? new OmnivaError(
              'OMNIVA_ERR_MAX_DELIVER',
              `gave up after ${m.info.deliveryCount} deliveries: ${err.message}`,
            )
          : err;
      await this.#reject(m, reason, env);
    } else {
      m.nak(this.#backoff(m.info.deliveryCount));
    }
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
    const envelope = makeEnvelope({
      type: 'ActorEscalation',
      site_id: this.#d.site,
      actor: this.kind.name,
      payload: {
        actor: this.kind.name,
        instance_key: key,
        host_id: this.#d.hostId,
        restarts,
        period_ms: o.restart_period_ms,
        last_error: { code: err.code, message: err.message },
        at: new Date(this.#now()).toISOString(),
      },
    });
    const { data, headers } = encodeEnvelope(envelope, this.#d.codec);
    await this.#js.publish(subjects.alert(this.#d.site, 'actor_escalation'), data, {
      headers,
      msgID: envelope.msg_id,
    });
  }

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
      dedupeKey: `dlq.${m.info.stream}.${m.info.streamSequence}`,
    });
    this.#stats.dead_lettered++;
    m.term(`${err.code}: ${err.message}`.slice(0, 200));
    this.#log.warn(
      { code: err.code, reason: err.message, subject: m.subject },
      'message dead-lettered',
    );
  }

  #backoff(deliveryCount: number): number {
    const b = this.#d.options.backoff_ms;
    return b[Math.min(deliveryCount - 1, b.length - 1)] ?? 1000;
  }

  // ---- timers -------------------------------------------------------------------------------

  async #rearmStoredTimers(): Promise<void> {
    for (const key of await this.#store.keysWithTimers())
      this.#armTimers(await this.#store.get(key));
  }

  #armTimers(inst: Instance): void {
    for (const [id, t] of Object.entries(inst.record.timers)) {
      const tk = `${inst.key}\u0000${id}`;
      const armed = this.#timers.get(tk);
      if (armed?.at === t.at) continue;
      if (armed) clearTimeout(armed.handle);
      const delay = Math.min(Math.max(0, t.at - this.#now()), MAX_TIMER_MS);
      const handle = setTimeout(() => {
        this.#timers.delete(tk);
        this.#mailboxes
          .run(inst.key, () => this.#fireTimer(inst.key, id, t.at))
          .catch((e) => this.#log.error({ err: e }, 'timer delivery failed'));
      }, delay);
      this.#timers.set(tk, { at: t.at, handle });
    }
  }

  async #fireTimer(key: string, id: string, at: number): Promise<void> {
    if (this.#state !== 'running') return;
    if (at > this.#now()) {
      // Long timers are armed in slices of at most ~24 days.
      const inst = await this.#store.get(key);
      this.#armTimers(inst);
      return;
    }
    const cause = `timer.${id}.${at}`;
    for (let attempt = 1; attempt <= PERSIST_ATTEMPTS; attempt++) {
      const inst = await this.#store.get(key);
      const t = inst.record.timers[id] as
        | (InstanceRecord['timers'][string] & { trace_id?: string })
        | undefined;
      if (!t || t.at !== at || inst.record.seen.includes(cause)) return;
      const trace_id = t.trace_id ?? crypto.randomUUID();
      const { [id]: _fired, ...rest } = inst.record.timers;
      inst.record = { ...inst.record, timers: rest };
      let outcome: StepOutcome;
      try {
        outcome = await runStep({
          instance: inst,
          event: { ...t.event, now: this.#now() },
          cause,
          site: this.#d.site,
          trace_id,
          journal: this.#journal,
          signal: this.#abort.signal,
          now: this.#now,
        });
      } catch (e) {
        this.#store.evict(key);
        const err = toOmnivaError(e);
        this.#log.error({ code: err.code, err: err.message, timer: id }, 'actor failed on timer');
        if (this.#budget.crash(this.#now())) await this.#escalate(key, err);
        setTimeout(
          () => this.#mailboxes.run(key, () => this.#fireTimer(key, id, at)),
          this.#backoff(1),
        );
        return;
      }
      if (!(await this.#store.persist(inst, outcome, cause))) {
        this.#store.evict(key);
        continue;
      }
      await this.#store.publish(inst, cause);
      this.#stats.timers_fired++;
      this.#armTimers(inst);
      return;
    }
  }

  // ---- request/reply binding ----------------------------------------------------------------

  #startRpc(): void {
    this.#rpcSub = this.#d.nc.subscribe(subjects.rpcAll(this.#d.site, this.kind.name), {
      queue: this.kind.name,
      callback: (err, msg) => {
        if (err) return;
        this.#onRpc(msg).catch((e) => this.#log.error({ err: e }, 'rpc failure'));
      },
    });
  }

  async #onRpc(msg: Msg): Promise<void> {
    const verb = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const contract = this.kind.rpc?.[verb];
    const respondError = (e: OmnivaError) => {
      const { data, headers } = errorReply(e);
      msg.respond(data, { headers });
    };
    if (!contract) {
      respondError(
        new OmnivaError('OMNIVA_ERR_UNKNOWN_TYPE', `${this.kind.name} has no rpc verb "${verb}"`),
      );
      return;
    }
    let env: Envelope;
    try {
      const v = validateMessage(decode(msg.data, contentTypeOf(msg.headers)), [contract]);
      if (!v.ok) throw v.error;
      env = v.envelope;
    } catch (e) {
      const err = toOmnivaError(e);
      await deadLetter({
        js: this.#js,
        site: this.#d.site,
        actor: this.kind.name,
        codec: this.#d.codec,
        subject: msg.subject,
        data: msg.data,
        contentType: contentTypeOf(msg.headers),
        deliveryCount: 1,
        error: err,
        now: this.#now,
      });
      respondError(err);
      return;
    }
    const key = this.kind.key?.(env) ?? 'main';
    const answer = () => this.#answer(key, verb, env);
    // Work-bound actors answer from their latest stored state, in order with their work.
    const reply = this.kind.work ? await this.#mailboxes.run(key, answer) : await answer();
    if (OmnivaError.is(reply)) {
      respondError(reply);
      return;
    }
    const { data, headers } = encodeEnvelope(reply, this.#d.codec);
    msg.respond(data, { headers });
  }

  async #answer(key: string, verb: string, env: Envelope): Promise<Envelope | OmnivaError> {
    try {
      if (this.kind.work) await this.#store.refresh(key);
      const inst = this.kind.work ? await this.#store.get(key) : this.#store.volatile(key);
      const event = {
        type: `rpc.${verb}`,
        request: env.payload,
        meta: metaOf(env),
        now: this.#now(),
      };
      const emits = inst.deliver(event);
      const reply = emits.find((e) => e.type === 'omniva.reply');
      if (reply?.type !== 'omniva.reply') {
        return new OmnivaError(
          'OMNIVA_ERR_ACTOR_FAILED',
          `${this.kind.name} did not reply to "${verb}"`,
        );
      }
      return makeEnvelope({
        type: reply.contract,
        site_id: this.#d.site,
        payload: reply.payload as Record<string, unknown>,
        trace_id: env.trace_id,
        actor: this.kind.name,
        causation_id: env.msg_id,
      });
    } catch (e) {
      this.#store.evict(key);
      return toOmnivaError(e);
    }
  }

  /** Tooling view of an instance's latest stored state (another host may have written it). */
  async inspect(key = 'main'): Promise<{ state: string; context: unknown; revision: number }> {
    if (this.kind.work) await this.#mailboxes.run(key, () => this.#store.refresh(key));
    const inst = await this.#store.get(key);
    return { ...inst.view(), revision: inst.revision };
  }
}

function metaOf(env: Envelope): MessageMeta {
  return {
    msg_id: env.msg_id,
    trace_id: env.trace_id,
    site_id: env.site_id,
    _meta_parents: env._meta_parents ?? [],
    emitted_at: env.emitted_at,
    ...(env.actor ? { actor: env.actor } : {}),
  };
}

function toOmnivaError(e: unknown): OmnivaError {
  if (OmnivaError.is(e)) return e;
  if (e instanceof ActorFailure) return new OmnivaError('OMNIVA_ERR_ACTOR_FAILED', e.message);
  return new OmnivaError('OMNIVA_ERR_ACTOR_FAILED', e instanceof Error ? e.message : String(e));
}
