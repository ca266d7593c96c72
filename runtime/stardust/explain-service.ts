import { jetstream } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type Codec,
  decode,
  type Envelope,
  type ExplainRequest,
  type Explanation,
  makeEnvelope,
  OmnivaError,
  subjects,
  validateContract,
  validateMessage,
} from '../../protocols/index.ts';
import { deadLetter, errorReply } from '../internal/dead-letter.ts';
import { toOmnivaError } from '../internal/messages.ts';
import { contentTypeOf, encodeReply } from '../internal/outbound.ts';
import { Recorder } from '../internal/recorder.ts';
import type { Logger } from '../logger.ts';
import type { Ledger } from './ledger.ts';

/** The actor name HaloLux answers as, and its queue group. */
const ACTOR = 'halolux';
const VERB = 'explain';

export interface ExplanationServerOptions {
  nc: NatsConnection;
  site: string;
  codec: Codec;
  /** Records dead-lettered requests in Stardust (design §6: no event bypasses it). */
  ledger?: Ledger;
  /** Builds the answer; HaloLux's `createHaloLux(ledger).explain` in production. */
  explain: (req: ExplainRequest) => Promise<Explanation>;
  log: Logger;
  now?: () => number;
}

export interface ExplanationServer {
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Stops taking requests and waits for the ones in flight to be answered. */
  drain(): Promise<void>;
  /** Stops taking requests; answers in flight still go out. */
  stop(): void;
}

/**
 * Serves `omniva.<site>.rpc.halolux.explain` in a queue group. The actor host's rpc binding
 * answers synchronously from a machine, and an explanation needs reads of the ledger, so
 * this small server does the request/reply part (validate, answer, error replies with the
 * code in a header) and leaves the explaining to the function it is given.
 */
export function serveExplanations(o: ExplanationServerOptions): ExplanationServer {
  const log = o.log.child({ component: 'explain-service' });
  const js = jetstream(o.nc);
  const recorder = new Recorder(o.ledger, ACTOR);
  const now = o.now ?? Date.now;
  const inFlight = new Set<Promise<void>>();

  const answer = async (msg: Msg) => {
    const fail = (e: OmnivaError) => {
      const r = errorReply(e);
      msg.respond(r.data, { headers: r.headers });
    };
    let doc: unknown;
    let request: Envelope;
    try {
      doc = decode(msg.data, contentTypeOf(msg.headers));
      const v = validateMessage(doc, ['ExplainRequest']);
      if (!v.ok) throw v.error;
      request = v.envelope;
    } catch (e) {
      const error = toOmnivaError(e);
      fail(error);
      // The caller has its answer; the record of the bad request must not delay it.
      await deadLetter({
        js,
        site: o.site,
        actor: ACTOR,
        codec: o.codec,
        subject: msg.subject,
        data: msg.data,
        contentType: contentTypeOf(msg.headers),
        deliveryCount: 1,
        error,
        doc,
        now,
        recorder,
      }).catch((err) => log.warn({ err }, 'explain request not dead-lettered'));
      return;
    }
    let explanation: Explanation;
    try {
      explanation = await o.explain(request.payload as ExplainRequest);
    } catch (e) {
      const error = toOmnivaError(e);
      log.warn({ err: error, trace_id: request.trace_id }, 'explain failed');
      fail(error);
      return;
    }
    // An answer that breaks the contract is a HaloLux bug: say so rather than send it.
    const checked = validateContract('Explanation', explanation);
    if (!checked.ok) {
      log.error({ violations: checked.violations }, 'explanation breaks its contract');
      fail(new OmnivaError('OMNIVA_ERR_EMIT_INVALID', 'the explanation breaks its contract'));
      return;
    }
    const reply = makeEnvelope({
      type: 'Explanation',
      site_id: o.site,
      payload: explanation,
      trace_id: request.trace_id,
      actor: ACTOR,
      causation_id: request.msg_id,
    });
    const { data, headers } = encodeReply(reply, o.codec);
    msg.respond(data, { headers });
  };

  const sub: Subscription = o.nc.subscribe(subjects.rpc(o.site, ACTOR, VERB), {
    queue: ACTOR,
    callback: (err, msg) => {
      if (err) return;
      const work = answer(msg)
        .catch((e) => log.error({ err: e }, 'explain request failure'))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
  });

  return {
    get inFlight() {
      return inFlight.size;
    },
    async drain() {
      if (!sub.isClosed()) await sub.drain();
      await Promise.all([...inFlight]);
    },
    stop() {
      sub.unsubscribe();
    },
  };
}
