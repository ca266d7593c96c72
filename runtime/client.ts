import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type Codec,
  type ContractName,
  decode,
  type Envelope,
  HEADERS,
  isErrorCode,
  makeEnvelope,
  OmnivaError,
  type PayloadInput,
  subjects,
} from '../protocols/index.ts';
import { contentTypeOf, encodeEnvelope, encodeReply } from './internal/outbound.ts';
import { Recorder, stardustHeader } from './internal/recorder.ts';
import type { Ledger } from './stardust/index.ts';

/**
 * The caller's side of a site: send commands, ask actors, watch events. Used by the
 * CLI, tools and tests; it speaks the same envelopes and headers as the actor host.
 */
export class SiteClient {
  readonly nc: NatsConnection;
  readonly site: string;
  readonly codec: Codec;
  readonly #js: JetStreamClient;
  readonly #actor: string;
  readonly #recorder: Recorder;

  constructor(
    nc: NatsConnection,
    site: string,
    opts: { codec?: Codec; actor?: string; ledger?: Ledger } = {},
  ) {
    this.nc = nc;
    this.site = site;
    this.codec = opts.codec ?? 'msgpack';
    this.#actor = opts.actor ?? 'client';
    this.#js = jetstream(nc);
    this.#recorder = new Recorder(opts.ledger, this.#actor);
  }

  /**
   * Publishes advice on `omniva.<site>.adv.<module>.<kind>` (a request to Zenith, an operator
   * decision), recorded in Stardust first when the client has a ledger, so whoever acts on it
   * can cite it as evidence. Returns the envelope and its stardust_id.
   */
  async advise<N extends ContractName>(
    module: string,
    kind: string,
    type: N,
    payload: PayloadInput<N>,
    opts: { trace_id?: string; _meta_parents?: string[] } = {},
  ): Promise<{ envelope: Envelope; stardust_id: string | undefined }> {
    const envelope = makeEnvelope({
      type,
      site_id: this.site,
      payload,
      actor: this.#actor,
      ...opts,
    });
    const subject = subjects.adv(this.site, module, kind);
    const stardust_id = await this.#recorder.record(subject, envelope);
    const { data, headers } = encodeEnvelope(envelope, this.codec, stardustHeader(stardust_id));
    await this.#js.publish(subject, data, { headers, msgID: envelope.msg_id });
    return { envelope, stardust_id };
  }

  /**
   * Publishes a command to `omniva.<site>.cmd.<worker>` and waits for the stream's ack; recorded
   * in Stardust first when the client has a ledger, so the worker's results derive from it.
   */
  async command<N extends ContractName>(
    worker: string,
    type: N,
    payload: PayloadInput<N>,
    opts: { trace_id?: string; _meta_parents?: string[]; instance?: string } = {},
  ): Promise<Envelope> {
    const { instance, ...meta } = opts;
    const envelope = makeEnvelope({
      type,
      site_id: this.site,
      payload,
      actor: this.#actor,
      ...meta,
    });
    const subject = instance
      ? subjects.cmdTo(this.site, worker, instance)
      : subjects.cmd(this.site, worker);
    const stardust_id = await this.#recorder.record(subject, envelope);
    const { data, headers } = encodeEnvelope(envelope, this.codec, stardustHeader(stardust_id));
    await this.#js.publish(subject, data, { headers, msgID: envelope.msg_id });
    return envelope;
  }

  /** Request/reply with an actor's rpc verb; an error answer becomes an OmnivaError. */
  async request<N extends ContractName>(
    actor: string,
    verb: string,
    type: N,
    payload: PayloadInput<N>,
    timeoutMs = 5_000,
  ): Promise<Envelope> {
    const envelope = makeEnvelope({ type, site_id: this.site, payload, actor: this.#actor });
    const { data, headers } = encodeReply(envelope, this.codec);
    const reply = await this.nc.request(subjects.rpc(this.site, actor, verb), data, {
      headers,
      timeout: timeoutMs,
    });
    const code = reply.headers?.get(HEADERS.errorCode);
    const body = decode(reply.data, contentTypeOf(reply.headers)) as Envelope & {
      error?: { message: string };
    };
    if (code) {
      throw new OmnivaError(
        isErrorCode(code) ? code : 'OMNIVA_ERR_ACTOR_FAILED',
        body.error?.message ?? code,
      );
    }
    return body;
  }

  /** Calls `onEvent` for every message on a subject (core subscription, live only). */
  watch(subject: string, onEvent: (envelope: Envelope, subject: string) => void): Subscription {
    return this.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        try {
          onEvent(decode(m.data, contentTypeOf(m.headers)) as Envelope, m.subject);
        } catch {
          // An undecodable message on a watched subject is not the watcher's to handle.
        }
      },
    });
  }
}
