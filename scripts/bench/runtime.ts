// Runtime benchmark: actor request/reply latency and actor work throughput, each
// against raw @nats-io on the same embedded server with the same payload, in one run.
//
//   npm run bench               (defaults)
//   npm run bench -- --rpc 5000 --msgs 20000 --window 2000 --json
//
// Figures are machine-bound; compare the ratios, not the absolute numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { echoKind } from '../../actors/sample/index.ts';
import { decode, type Envelope, encode, makeEnvelope, subjects } from '../../protocols/index.ts';
import {
  ActorHost,
  createLogger,
  provisionSite,
  SiteClient,
  startNatsServer,
} from '../../runtime/index.ts';
import { contentTypeOf, encodeEnvelope, encodeReply } from '../../runtime/internal/outbound.ts';
import {
  echoReply,
  requiredStepsRate,
  type StepTimes,
  serveRequiredSteps,
  stepClock,
} from './required-steps.ts';

const { values: args } = parseArgs({
  options: {
    rpc: { type: 'string', default: '3000' },
    msgs: { type: 'string', default: '10000' },
    window: { type: 'string', default: '1000' },
    keys: { type: 'string', default: '64' },
    json: { type: 'boolean', default: false },
  },
});
const RPC_N = Number(args.rpc);
const MSG_N = Number(args.msgs);
const WINDOW = Number(args.window);
const KEYS = Number(args.keys);
const SITE = 'bench';
const TEXT = 'a clip-sized payload: '.padEnd(256, 'x');

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const median = (l: number[]) =>
  pct(
    [...l].sort((a, b) => a - b),
    50,
  );

/**
 * Times each kind of request in alternating rounds, so JIT warm-up, GC and the other processes
 * on the machine weigh on all alike.
 */
async function timeInterleaved<K extends string>(
  n: number,
  fns: Record<K, () => Promise<unknown>>,
) {
  const entries = Object.entries(fns) as [K, () => Promise<unknown>][];
  for (let i = 0; i < 300; i++) for (const [, fn] of entries) await fn();
  const lat = Object.fromEntries(entries.map(([name]) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  const rounds = 10;
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of entries) {
      for (let i = 0; i < n / rounds; i++) {
        const t = process.hrtime.bigint();
        await fn();
        lat[name].push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
  }
  const stats = (l: number[]) => {
    l.sort((a, b) => a - b);
    return { p50_ms: pct(l, 50), p99_ms: pct(l, 99) };
  };
  return Object.fromEntries(entries.map(([name]) => [name, stats(lat[name])])) as Record<
    K,
    { p50_ms: number; p99_ms: number }
  >;
}

/** Publishes `n` messages with at most `window` unacknowledged; returns msgs/s. */
async function publishWindowed(
  n: number,
  publish: (i: number) => Promise<unknown>,
): Promise<number> {
  const t = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p = publish(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return n / ((performance.now() - t) / 1000);
}

async function rawJetStreamPublish(nc: NatsConnection, payload: Uint8Array) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.js.>'] });
  const js = jetstream(nc);
  const rate = await publishWindowed(MSG_N, (i) => js.publish(`bench.raw.js.${i % KEYS}`, payload));
  await jsm.streams.delete('BENCH_RAW');
  return rate;
}

/** The same work an actor does, hand-written: consume, publish one output, ack. */
async function rawWorkPipeline(nc: NatsConnection, payload: Uint8Array) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: 'BENCH_WQ',
    subjects: ['bench.wq.>'],
    retention: 'workqueue' as never,
  });
  await jsm.streams.add({ name: 'BENCH_OUT', subjects: ['bench.out.>'] });
  await jsm.consumers.add('BENCH_WQ', {
    durable_name: 'w',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 20_000,
  });
  const js = jetstream(nc);
  await publishWindowed(MSG_N, (i) => js.publish(`bench.wq.${i % KEYS}`, payload));
  const consumer = await js.consumers.get('BENCH_WQ', 'w');
  const t = performance.now();
  let done = 0;
  const messages = await consumer.consume({ max_messages: 256 });
  await new Promise<void>((resolve) => {
    (async () => {
      for await (const m of messages) {
        js.publish(`bench.out.${m.subject.split('.')[2]}`, m.data).then(() => {
          m.ack();
          if (++done === MSG_N) resolve();
        });
      }
    })();
  });
  const rate = MSG_N / ((performance.now() - t) / 1000);
  messages.stop();
  await jsm.streams.delete('BENCH_WQ');
  await jsm.streams.delete('BENCH_OUT');
  return rate;
}

/** Queues MSG_N EchoRequest envelopes (instance key n % KEYS) on a command subject. */
async function queueRequests(nc: NatsConnection, subject: string) {
  const js = jetstream(nc);
  const envs = Array.from({ length: MSG_N }, (_, i) =>
    encodeEnvelope(
      makeEnvelope({ type: 'EchoRequest', site_id: SITE, payload: { text: TEXT, n: i } }),
      'msgpack',
    ),
  );
  await publishWindowed(MSG_N, (i) => {
    const e = envs[i] as (typeof envs)[number];
    return js.publish(subject, e.data, { headers: e.headers });
  });
}

/** The required steps by hand (see required-steps.ts): what the runtime cannot beat. */
async function requiredSteps(nc: NatsConnection) {
  const subject = subjects.cmd(SITE, 'floor');
  await queueRequests(nc, subject);
  return requiredStepsRate(nc, SITE, subject, MSG_N, KEYS, 256);
}

async function actorWork(nc: NatsConnection) {
  // Queue everything first, then time the actor draining the queue, like the raw pipeline.
  await queueRequests(nc, subjects.cmd(SITE, 'echo'));
  const kind = {
    ...echoKind,
    rpc: undefined,
    key: (env: Envelope) => String(((env.payload as { n?: number }).n ?? 0) % KEYS),
  };
  const worker = new ActorHost(hostDeps(nc), kind);
  const t = performance.now();
  const cpu = process.cpuUsage();
  await worker.start();
  while (worker.stats.processed < MSG_N) await new Promise((r) => setTimeout(r, 5));
  const rate = MSG_N / ((performance.now() - t) / 1000);
  const used = process.cpuUsage(cpu);
  await worker.drain();
  return { rate, cpuUsPerMsg: (used.user + used.system) / MSG_N };
}

function hostDeps(nc: NatsConnection) {
  return {
    nc,
    site: SITE,
    hostId: 'bench',
    codec: 'msgpack' as const,
    log: createLogger({ level: 'silent' }),
    options: {
      ack_wait_ms: 30_000,
      max_deliver: 5,
      backoff_ms: [1000],
      max_in_flight: 256,
      dedupe_window: Number(process.env.DW ?? 256),
      restart_intensity: 5,
      restart_period_ms: 60_000,
      escalation_pause_ms: 30_000,
      drain_timeout_ms: 10_000,
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'omniva-bench-'));
const server = await startNatsServer({ dir, domain: SITE });
const nc = await connect({ servers: server.url, noAsyncTraces: true });
try {
  await provisionSite(nc, await jetstreamManager(nc), {
    site: SITE,
    duplicateWindowMs: 120_000,
    effectsTtlMs: 3_600_000,
  });
  const payload = encode(
    makeEnvelope({ type: 'EchoRequest', site_id: SITE, payload: { text: TEXT } }),
    'msgpack',
  );
  const rpcHost = new ActorHost(hostDeps(nc), { ...echoKind, work: undefined });
  await rpcHost.start();
  const client = new SiteClient(nc, SITE);
  // Sanity: the actor really answers with the echoed payload.
  const check = await client.request('echo', 'echo', 'EchoRequest', { text: 'ping' });
  if ((check.payload as { text: string }).text !== 'ping')
    throw new Error('echo actor answered wrongly');

  const echo = nc.subscribe('bench.raw.echo', {
    callback: (_e, m) => {
      m.respond(m.data);
    },
  });
  // Additional reference, not a target: raw @nats-io carrying what the actor's request and reply
  // carry on the wire (envelopes with their headers, encoded and decoded on both sides), without
  // validation, the machine or the runtime. The gap to it is the runtime's own cost.
  const wire = nc.subscribe('bench.raw.envelope', {
    callback: (_e, m) => {
      const req = decode(m.data, contentTypeOf(m.headers)) as Envelope;
      const { data, headers } = echoReply(req, req.payload as { text: string }, SITE);
      m.respond(data, { headers });
    },
  });
  const steps: StepTimes = {};
  const required = serveRequiredSteps(nc, 'bench.raw.required', SITE, steps);
  const rawEnvelope = (subject: string, times: StepTimes) => async () => {
    const lap = stepClock(times);
    const req = makeEnvelope({
      type: 'EchoRequest',
      site_id: SITE,
      payload: { text: TEXT },
      actor: 'client',
    });
    const { data, headers } = encodeReply(req, 'msgpack');
    lap('client builds the request');
    const r = await nc.request(subject, data, { headers, timeout: 5000 });
    lap('round trip');
    const reply = decode(r.data, contentTypeOf(r.headers));
    lap('client decodes the reply');
    return reply;
  };
  const {
    raw,
    actor,
    envelope: wireRef,
    required: requiredRef,
  } = await timeInterleaved(RPC_N, {
    raw: () => nc.request('bench.raw.echo', payload, { timeout: 5000 }),
    actor: () => client.request('echo', 'echo', 'EchoRequest', { text: TEXT }),
    envelope: rawEnvelope('bench.raw.envelope', {}),
    required: rawEnvelope('bench.raw.required', steps),
  });
  required.unsubscribe();
  echo.unsubscribe();
  wire.unsubscribe();
  const rawPub = await rawJetStreamPublish(nc, payload);
  const rawPipe = await rawWorkPipeline(nc, payload);
  const floor = await requiredSteps(nc);
  const floorRate = floor.rate;
  const actorDrain = await actorWork(nc);
  const actorRate = actorDrain.rate;

  const result = {
    server: `nats-server ${server.version}`,
    payload_bytes: payload.length,
    rpc_requests: RPC_N,
    messages: MSG_N,
    window: WINDOW,
    instance_keys: KEYS,
    request_reply: {
      raw_p50_ms: raw.p50_ms,
      raw_p99_ms: raw.p99_ms,
      actor_p50_ms: actor.p50_ms,
      actor_p99_ms: actor.p99_ms,
      p50_ratio: actor.p50_ms / raw.p50_ms,
      p99_ratio: actor.p99_ms / raw.p99_ms,
      raw_envelope_p50_ms: wireRef.p50_ms,
      raw_envelope_p50_ratio: wireRef.p50_ms / raw.p50_ms,
      required_steps_p50_ms: requiredRef.p50_ms,
      required_steps_p50_ratio: requiredRef.p50_ms / raw.p50_ms,
      required_steps_median_us: Object.fromEntries(
        Object.entries(steps)
          .filter(([name]) => name !== 'round trip')
          .map(([name, l]) => [name, median(l) * 1000]),
      ),
    },
    throughput: {
      raw_js_publish_per_s: rawPub,
      raw_consume_publish_ack_per_s: rawPipe,
      required_steps_per_s: floorRate,
      actor_per_s: actorRate,
      ratio_to_raw_publish: actorRate / rawPub,
      ratio_to_raw_pipeline: actorRate / rawPipe,
      ratio_to_required_steps: actorRate / floorRate,
      required_steps_cpu_us_per_msg: floor.cpuUsPerMsg,
      actor_cpu_us_per_msg: actorDrain.cpuUsPerMsg,
      required_steps_ratio_to_raw_publish: floorRate / rawPub,
    },
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const f = (n: number) => n.toFixed(3);
    const breakdown = (us: Record<string, number>) => {
      const parts = Object.entries(us).map(([name, v]) => `${name} ${v.toFixed(1)} µs`);
      const sum = Object.values(us).reduce((a, b) => a + b, 0);
      return `${parts.join(', ')}; together ${sum.toFixed(0)} µs`;
    };
    const r = (n: number) => Math.round(n).toLocaleString('en-US');
    const rr = result.request_reply;
    const tp = result.throughput;
    process.stdout.write(
      `${[
        `${result.server}, payload ${result.payload_bytes} B, ${RPC_N} requests, ${MSG_N} messages, ${KEYS} instances`,
        `request/reply p50: raw ${f(rr.raw_p50_ms)} ms, actor ${f(rr.actor_p50_ms)} ms  → ${rr.p50_ratio.toFixed(2)}× raw`,
        `request/reply p99: raw ${f(rr.raw_p99_ms)} ms, actor ${f(rr.actor_p99_ms)} ms  → ${rr.p99_ratio.toFixed(2)}× raw`,
        `  reference (not a target): raw with the actor's envelopes and headers p50 ${f(rr.raw_envelope_p50_ms)} ms → ${rr.raw_envelope_p50_ratio.toFixed(2)}× raw`,
        `  reference (not a target): the required steps by hand p50 ${f(rr.required_steps_p50_ms)} ms → ${rr.required_steps_p50_ratio.toFixed(2)}× raw`,
        `    where they spend it (medians): ${breakdown(rr.required_steps_median_us)}; 0.3× raw p50 is ${(rr.raw_p50_ms * 300).toFixed(0)} µs`,
        `throughput: raw JetStream publish ${r(tp.raw_js_publish_per_s)}/s, raw consume+publish+ack ${r(tp.raw_consume_publish_ack_per_s)}/s, actor ${r(tp.actor_per_s)}/s`,
        `            actor = ${(tp.ratio_to_raw_publish * 100).toFixed(0)} % of raw publish, ${(tp.ratio_to_raw_pipeline * 100).toFixed(0)} % of the raw pipeline`,
        `  reference (not a target): the required steps by hand ${r(tp.required_steps_per_s)}/s = ${(tp.required_steps_ratio_to_raw_publish * 100).toFixed(0)} % of raw publish; actor = ${(tp.ratio_to_required_steps * 100).toFixed(0)} % of it`,
        `  CPU per message while draining: required steps by hand ${tp.required_steps_cpu_us_per_msg.toFixed(0)} µs, actor ${tp.actor_cpu_us_per_msg.toFixed(0)} µs`,
      ].join('\n')}\n`,
    );
  }
  await rpcHost.drain().catch(() => undefined);
} finally {
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
