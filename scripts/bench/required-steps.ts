// A reference for the runtime benchmark, not a target: the steps every actor message must go
// through (decode, validate, deliver to the XState machine, validate, encode and publish the
// output with its headers, store the machine snapshot with a revision check, ack), written by
// hand with no runtime around them: no dedupe log, no outbox, no supervision, no retries. The
// runtime cannot be faster than this on the same machine; the gap to it is the runtime's own cost.
import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Actor, type AnyStateMachine, createActor } from 'xstate';
import { echoMachine } from '../../actors/sample/index.ts';
import {
  decode,
  deriveMsgId,
  type Envelope,
  encode,
  envelopeHeaders,
  makeEnvelope,
  subjects,
  validateContract,
  validateMessage,
} from '../../protocols/index.ts';
import { contentTypeOf, encodeReply } from '../../runtime/internal/outbound.ts';
import { headersOf } from '../../runtime/nats-headers.ts';
import { BUCKETS } from '../../runtime/provision.ts';
import { AsyncPublisher, type PublishReply } from '../../runtime/stardust/publisher.ts';

interface Instance {
  key: string;
  actor: Actor<AnyStateMachine>;
  emitted: { payload: Record<string, unknown> }[];
  revision: number;
  writing: boolean;
  batch: { m: JsMsg; env: Envelope }[];
}

/**
 * Drains `count` EchoRequest messages already queued on `subject`; returns msgs/s and the
 * process's CPU time per message while draining.
 */
export async function requiredStepsRate(
  nc: NatsConnection,
  site: string,
  subject: string,
  count: number,
  keys: number,
  maxInFlight: number,
): Promise<{ rate: number; cpuUsPerMsg: number }> {
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.find(subject);
  await jsm.consumers.add(stream, {
    durable_name: 'bench-required-steps',
    filter_subject: subject,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: maxInFlight * 4,
  });
  const pub = new AsyncPublisher(nc);
  const instances = new Map<string, Instance>();
  const dirty = new Set<Instance>();
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  const instance = (key: string): Instance => {
    let inst = instances.get(key);
    if (!inst) {
      const actor = createActor(echoMachine).start();
      inst = { key, actor, emitted: [], revision: 0, writing: false, batch: [] };
      const own = inst;
      actor.on('*', (e) => own.emitted.push(e as never));
      instances.set(key, inst);
    }
    return inst;
  };

  let failure: Error | undefined;
  const fail = (why: string) => {
    failure ??= new Error(why);
    finish();
  };
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  // What arrived for an instance since its last write: outputs published and the snapshot
  // stored in one go, the inputs acked once all of it is acknowledged.
  const write = (inst: Instance) => {
    const { batch, emitted } = inst;
    inst.batch = [];
    inst.emitted = [];
    inst.writing = true;
    let left = batch.length + 1;
    const settled = (r: PublishReply) => {
      if (!r.ok) return fail(`publish refused: ${r.description}`);
      if (--left > 0) return;
      for (const { m } of batch) m.ack();
      done += batch.length;
      if (done === count) finish();
    };
    for (const [i, { env }] of batch.entries()) {
      const e = emitted[i] as { payload: { text: string } };
      if (!validateContract('EchoReply', e.payload).ok) return fail('invalid EchoReply');
      const out = makeEnvelope({
        type: 'EchoReply',
        site_id: site,
        payload: e.payload,
        trace_id: env.trace_id,
        actor: 'echo',
        causation_id: env.msg_id,
        msg_id: deriveMsgId(`echo/${env.msg_id}`, 0),
      });
      const subject = subjects.evt(site, 'echo', 'echoed');
      const headers = headersOf(envelopeHeaders(out, 'msgpack'));
      pub.publish(subject, encode(out, 'msgpack'), headers, settled);
    }
    const snapshot = encode({ machine: inst.actor.getPersistedSnapshot() } as never, 'msgpack');
    const h = headersOf({ 'Nats-Expected-Last-Subject-Sequence': String(inst.revision) });
    pub.publish(`$KV.${BUCKETS.snapshots}.bench-floor.${inst.key}`, snapshot, h, (r) => {
      if (r.ok) inst.revision = r.seq;
      inst.writing = false;
      if (inst.batch.length > 0) {
        dirty.add(inst);
        schedule();
      }
      settled(r);
    });
  };

  // Everything that arrived in one turn is stored with one write per instance; an instance
  // with a write in flight waits for it (its next write expects the revision it returns).
  const flush = () => {
    scheduled = false;
    for (const inst of dirty) {
      if (inst.writing) continue;
      dirty.delete(inst);
      write(inst);
    }
  };

  const consumer = await jetstream(nc).consumers.get(stream, 'bench-required-steps');
  const t = performance.now();
  const cpu = process.cpuUsage();
  const messages = await consumer.consume({
    max_messages: maxInFlight,
    callback: (m) => {
      const v = validateMessage(decode(m.data, contentTypeOf(m.headers)), ['EchoRequest']);
      if (!v.ok) return fail(v.error.message);
      const env = v.envelope as Envelope<'EchoRequest'>;
      const inst = instance(String(((env.payload as { n?: number }).n ?? 0) % keys));
      inst.actor.send({ type: env.type, payload: env.payload, meta: {}, now: Date.now() });
      inst.batch.push({ m, env });
      dirty.add(inst);
      schedule();
    },
  });
  await finished;
  if (failure) throw failure;
  const rate = count / ((performance.now() - t) / 1000);
  const used = process.cpuUsage(cpu);
  await messages.close();
  pub.close();
  for (const inst of instances.values()) inst.actor.stop();
  await jsm.consumers.delete(stream, 'bench-required-steps');
  return { rate, cpuUsPerMsg: (used.user + used.system) / count };
}

/** Durations in ms per named step, one entry per request; medians tell where the time goes. */
export type StepTimes = Record<string, number[]>;

/** Times consecutive steps: each `lap(name)` records the time since the previous lap. */
export function stepClock(times: StepTimes) {
  let t = performance.now();
  return (name: string) => {
    const now = performance.now();
    const list = times[name] ?? [];
    list.push(now - t);
    times[name] = list;
    t = now;
  };
}

/**
 * The request/reply counterpart: answers on `subject` with the steps every actor request must
 * go through (decode, validate, deliver to the machine, validate the reply, encode it with its
 * headers), by hand, timing each step into `times`.
 */
export function serveRequiredSteps(
  nc: NatsConnection,
  subject: string,
  site: string,
  times: StepTimes,
) {
  const actor = createActor(echoMachine).start();
  let reply: { payload: { text: string } } | undefined;
  actor.on('omniva.reply', (e) => {
    reply = e as never;
  });
  return nc.subscribe(subject, {
    callback: (_e, m) => {
      const lap = stepClock(times);
      const doc = decode(m.data, contentTypeOf(m.headers));
      lap('server decodes');
      const v = validateMessage(doc, ['EchoRequest']);
      if (!v.ok) throw v.error;
      const env = v.envelope;
      lap('server validates');
      actor.send({ type: 'rpc.echo', request: env.payload, now: Date.now() });
      lap('machine');
      if (!reply || !validateContract('EchoReply', reply.payload).ok) throw new Error('no reply');
      const { data, headers } = echoReply(env, reply.payload, site);
      m.respond(data, { headers });
      lap('server validates and sends the reply');
    },
  });
}

/** The echo actor's answer to `req`, encoded with its headers the way the runtime sends it. */
export function echoReply(req: Envelope, payload: { text: string }, site: string) {
  const reply = makeEnvelope({
    type: 'EchoReply',
    site_id: site,
    payload,
    trace_id: req.trace_id,
    actor: 'echo',
    causation_id: req.msg_id,
  });
  return encodeReply(reply, 'msgpack');
}
