import type { JetStreamClient } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type Codec,
  decode,
  type Envelope,
  makeEnvelope,
  OmnivaError,
  subjects,
  validateMessage,
} from '../../protocols/index.ts';
import type { ActorKind } from '../actor-kind.ts';
import type { Logger } from '../logger.ts';
import { CANCEL_VERB, type Cancellations, serveCancel } from './cancellation.ts';
import { deadLetter, errorReply } from './dead-letter.ts';
import type { Instance } from './instance.ts';
import type { InstanceStore } from './instance-store.ts';
import { metaOf, toOmnivaError } from './messages.ts';
import { contentTypeOf, encodeReply } from './outbound.ts';

export interface RpcDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  site: string;
  codec: Codec;
  kind: ActorKind;
  store: InstanceStore;
  log: Logger;
  now: () => number;
}

/**
 * Serves `omniva.<site>.rpc.<actor>.<verb>` in a queue group. Work-bound actors answer
 * from their latest stored state; request/reply-only actors answer from an in-memory
 * instance. Answers are never persisted.
 */
export function serveRpc(d: RpcDeps): Subscription {
  return d.nc.subscribe(subjects.rpcAll(d.site, d.kind.name), {
    queue: d.kind.name,
    callback: (err, msg) => {
      // Cancels are answered by the host running the instance (see cancellation.ts).
      if (err || (d.kind.cancellable && msg.subject.endsWith(`.${CANCEL_VERB}`))) return;
      try {
        onRequest(d, msg)?.catch((e) => d.log.error({ err: e }, 'rpc failure'));
      } catch (e) {
        d.log.error({ err: e }, 'rpc failure');
      }
    },
  });
}

/** The request/reply subscriptions a kind needs on this host: its verbs, and cancels. */
export function serveRequests(
  d: RpcDeps & { hostId: string; cancellations: Cancellations },
): Subscription[] {
  const subs: Subscription[] = [];
  if (d.kind.rpc) subs.push(serveRpc(d));
  if (d.kind.cancellable) {
    const { nc, site, hostId, codec, cancellations, log } = d;
    subs.push(serveCancel({ nc, site, actor: d.kind.name, hostId, codec, cancellations, log }));
  }
  return subs;
}

function respondError(msg: Msg, e: OmnivaError): void {
  const { data, headers } = errorReply(e);
  msg.respond(data, { headers });
}

function respond(d: RpcDeps, msg: Msg, reply: Envelope | OmnivaError): void {
  if (OmnivaError.is(reply)) {
    respondError(msg, reply);
    return;
  }
  const { data, headers } = encodeReply(reply, d.codec);
  msg.respond(data, { headers });
}

/**
 * Answers one request. A request/reply-only kind answers synchronously, in the callback that
 * received the request; a work-bound kind first reads its latest stored state.
 */
function onRequest(d: RpcDeps, msg: Msg): Promise<void> | undefined {
  const verb = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
  const contract = d.kind.rpc?.[verb];
  if (!contract) {
    respondError(
      msg,
      new OmnivaError('OMNIVA_ERR_UNKNOWN_TYPE', `${d.kind.name} has no rpc verb "${verb}"`),
    );
    return;
  }
  let env: Envelope;
  try {
    const v = validateMessage(decode(msg.data, contentTypeOf(msg.headers)), [contract]);
    if (!v.ok) throw v.error;
    env = v.envelope;
  } catch (e) {
    return refuse(d, msg, toOmnivaError(e));
  }
  const key = d.kind.key?.(env) ?? 'main';
  if (!d.kind.work) {
    respond(d, msg, answer(d, d.store.volatile(key), key, verb, env));
    return;
  }
  // Work-bound actors answer from their latest stored state through a detached copy, so a
  // question can never change what their work persists.
  return d.store.detached(key).then((inst) => {
    try {
      respond(d, msg, answer(d, inst, key, verb, env));
    } finally {
      inst.stop();
    }
  });
}

async function refuse(d: RpcDeps, msg: Msg, err: OmnivaError): Promise<void> {
  await deadLetter({
    js: d.js,
    site: d.site,
    actor: d.kind.name,
    codec: d.codec,
    subject: msg.subject,
    data: msg.data,
    contentType: contentTypeOf(msg.headers),
    deliveryCount: 1,
    error: err,
    now: d.now,
  });
  respondError(msg, err);
}

function answer(
  d: RpcDeps,
  inst: Instance,
  key: string,
  verb: string,
  env: Envelope,
): Envelope | OmnivaError {
  try {
    const emits = inst.deliver({
      type: `rpc.${verb}`,
      request: env.payload,
      meta: metaOf(env),
      now: d.now(),
    });
    const reply = emits.find((e) => e.type === 'omniva.reply');
    if (reply?.type !== 'omniva.reply') {
      return new OmnivaError(
        'OMNIVA_ERR_ACTOR_FAILED',
        `${d.kind.name} did not reply to "${verb}"`,
      );
    }
    return makeEnvelope({
      type: reply.contract,
      site_id: d.site,
      payload: reply.payload as Record<string, unknown>,
      trace_id: env.trace_id,
      actor: d.kind.name,
      causation_id: env.msg_id,
    });
  } catch (e) {
    if (!d.kind.work) d.store.evict(key);
    return toOmnivaError(e);
  }
}
