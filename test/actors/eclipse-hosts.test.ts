// Eclipse's judgement of hosts and its alerts, on the pure machine (design §10): HostHealth
// events as the runtime delivers them, a simulated clock, timers fired by hand at their
// deadline, and every emitted message checked against its contract.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  DEFAULT_ECLIPSE,
  type EclipseOptions,
  eclipseMachine,
} from '../../actors/cognitive/index.ts';
import {
  type Alert,
  type ContractName,
  type ContractType,
  deriveMsgId,
  formatViolation,
  type HostHealth,
  type HostState,
  validateContract,
  type WorkerErrorCode,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit, TimerSetEmit } from '../../runtime/index.ts';

const SITE = 'site-a';
const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();
const uuid = (seed: string) => deriveMsgId(seed, 0);
const INTERVAL = 5_000;

function message<N extends ContractName>(
  type: N,
  payload: ContractType<N>,
  now: number,
  seed = '',
): MessageEvent<N> {
  const v = validateContract(type, payload);
  assert.ok(v.ok, `test input must be a valid ${type}: ${JSON.stringify(v)}`);
  const s = `${type}|${seed}|${JSON.stringify(payload)}|${now}`;
  return {
    type,
    payload,
    meta: {
      msg_id: uuid(`msg|${s}`),
      trace_id: uuid(`trace|${s}`),
      site_id: SITE,
      _meta_parents: [],
      emitted_at: iso(now),
    },
    now,
  };
}

function health(host: string, now: number, reasons: string[] = []): MessageEvent<'HostHealth'> {
  const payload: HostHealth = {
    host_id: host,
    site_id: SITE,
    state: reasons.length > 0 ? 'degraded' : 'healthy',
    load_1m: 0.4,
    load_5m: 0.3,
    cpus: 4,
    memory: { total_bytes: 8e9, available_bytes: 4e9 },
    disks: [{ path: '/', total_bytes: 1e11, free_bytes: 5e10 }],
    workers: [],
    reasons,
    sent_at: iso(now),
    interval_ms: INTERVAL,
  };
  return message('HostHealth', payload, now);
}

function failure(job: string, instance: string, code: WorkerErrorCode, now: number) {
  return message(
    'WorkerStatus',
    {
      job_id: job,
      worker: 'editor',
      instance_id: instance,
      status: 'ERROR',
      updated_at: iso(now),
      error: { code, message: 'simulated', retryable: true },
    },
    now,
  );
}

function start(o: EclipseOptions = DEFAULT_ECLIPSE, snapshot?: unknown) {
  const actor = createActor(eclipseMachine(o), snapshot ? { snapshot: snapshot as never } : {});
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  const check = (got: RuntimeEmit[]) => {
    for (const e of got) {
      if (e.type !== 'omniva.publish') continue;
      const v = validateContract(e.contract, e.payload);
      assert.ok(v.ok, `invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation)}`);
    }
    return got;
  };
  const send = (event: Parameters<typeof actor.send>[0]) => {
    const from = out.length;
    actor.send(event);
    return check(out.slice(from));
  };
  const fire = (t: TimerSetEmit) => send({ ...t.event, now: t.at } as Parameters<typeof send>[0]);
  return { actor, send, fire, context: () => actor.getSnapshot().context };
}

const publishes = (es: RuntimeEmit[]) =>
  es.filter((e): e is PublishEmit => e.type === 'omniva.publish');
const states = (es: RuntimeEmit[]) =>
  publishes(es)
    .filter((p) => p.name === 'host_state')
    .map((p) => {
      assert.is(p.channel, 'adv');
      assert.is(p.contract, 'HostState');
      return p.payload as HostState;
    });
const alerts = (es: RuntimeEmit[]) =>
  publishes(es)
    .filter((p) => p.channel === 'alert')
    .map((p) => {
      assert.is(p.contract, 'Alert');
      const a = p.payload as Alert;
      assert.is(p.name, a.type, 'published on alert.<type>');
      return a;
    });
const timers = (es: RuntimeEmit[]) =>
  es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');

test('eclipse hosts - a healthy report arms the offline deadline and advises nothing', () => {
  const e = start();
  const out = e.send(health('h1', T0));
  assert.equal(publishes(out), [], 'a healthy host from the start is no news');
  assert.equal(timers(out), [
    {
      type: 'omniva.timer.set',
      id: 'host/h1',
      at: T0 + 3 * INTERVAL,
      event: { type: 'host_gap', host: 'h1', due: T0 + 3 * INTERVAL, gap_ms: 3 * INTERVAL },
    },
  ]);
  assert.is(e.context().hosts?.h1?.state, 'healthy');
  const next = e.send(health('h1', T0 + INTERVAL));
  assert.is(timers(next)[0]?.at, T0 + 4 * INTERVAL, 'each report pushes the deadline back');
});

test('eclipse hosts - a degraded report makes the host degraded, once, with its reasons', () => {
  const e = start();
  e.send(health('h1', T0));
  const out = e.send(health('h1', T0 + 1_000, ['load 3.1 per cpu is above 2']));
  assert.equal(states(out), [
    {
      host_id: 'h1',
      state: 'degraded',
      reason: 'degraded: load 3.1 per cpu is above 2',
      since: iso(T0 + 1_000),
      last_report_at: iso(T0 + 1_000),
    },
  ]);
  const [a] = alerts(out);
  assert.is(a?.type, 'host_degraded');
  assert.is(a?.severity, 'warning');
  assert.is(a?.host_id, 'h1');
  assert.is(a?.site_id, SITE);
  const again = e.send(health('h1', T0 + 2_000, ['memory available 3% is below 10%']));
  assert.equal(states(again), [], 'still degraded: no new advice');
  assert.equal(alerts(again), []);
  assert.is(e.context().hosts?.h1?.reason, 'degraded: memory available 3% is below 10%');
  assert.is(e.context().hosts?.h1?.since, T0 + 1_000, 'degraded since the first such report');

  const healthy = e.send(health('h1', T0 + 3_000));
  assert.equal(
    states(healthy).map((s) => [s.state, s.reason]),
    [['healthy', 'the host reports healthy again']],
  );
  assert.equal(alerts(healthy), [], 'recovering from degraded is not paged');
});

test('eclipse hosts - silence past the gap makes the host offline and raises host_down once', () => {
  const e = start();
  const [t] = timers(e.send(health('h1', T0)));
  assert.ok(t);
  const out = e.fire(t);
  assert.equal(states(out), [
    {
      host_id: 'h1',
      state: 'offline',
      reason: `no health report for 15000 ms (the last was sent at ${iso(T0)})`,
      since: iso(t.at),
      last_report_at: iso(T0),
    },
  ]);
  assert.equal(alerts(out), [
    {
      alert_id: deriveMsgId(`host_down|${SITE}|h1|${t.at}`, 0),
      type: 'host_down',
      severity: 'critical',
      site_id: SITE,
      host_id: 'h1',
      message: `host h1 is offline: no health report for 15000 ms (the last was sent at ${iso(T0)})`,
      raised_at: iso(t.at),
      details: { last_report_at: iso(T0), gap_ms: 15_000 },
    },
  ]);
  assert.equal(e.fire(t), [], 'the same deadline again (a rescan) changes nothing');
  assert.is(e.context().hosts?.h1?.state, 'offline');
});

test('eclipse hosts - reports that resume bring the host back, and a later silence is a new outage', () => {
  const e = start();
  const [t1] = timers(e.send(health('h1', T0)));
  e.fire(t1!);
  const back = e.send(health('h1', T0 + 60_000));
  assert.equal(
    states(back).map((s) => [s.state, s.reason]),
    [['healthy', 'health reports resumed']],
  );
  const [rec] = alerts(back);
  assert.is(rec?.type, 'host_recovered');
  assert.is(rec?.severity, 'info');
  const [t2] = timers(back);
  const down = alerts(e.fire(t2!));
  assert.is(down.length, 1);
  assert.is(down[0]?.type, 'host_down');
  assert.is.not(down[0]?.alert_id, deriveMsgId(`host_down|${SITE}|h1|${t1!.at}`, 0));
});

test('eclipse hosts - a host back from offline but degraded says both', () => {
  const e = start();
  const [t] = timers(e.send(health('h1', T0)));
  e.fire(t!);
  const out = e.send(health('h1', T0 + 60_000, ['volume / has 4% free, below 10%']));
  assert.equal(
    states(out).map((s) => [s.state, s.reason]),
    [['degraded', 'health reports resumed; degraded: volume / has 4% free, below 10%']],
  );
  assert.equal(
    alerts(out).map((a) => a.type),
    ['host_recovered'],
  );
});

test('eclipse hosts - hosts are judged separately; the gap follows each host’s interval', () => {
  const e = start({ ...DEFAULT_ECLIPSE, hostGapIntervals: 2 });
  const [t1] = timers(e.send(health('h1', T0)));
  const fast = message('HostHealth', { ...health('h2', T0).payload, interval_ms: 1_000 }, T0);
  const [t2] = timers(e.send(fast));
  assert.is(t1?.at, T0 + 10_000);
  assert.is(t2?.at, T0 + 2_000);
  assert.is.not(t1?.id, t2?.id);
  e.fire(t2!);
  assert.is(e.context().hosts?.h1?.state, 'healthy');
  assert.is(e.context().hosts?.h2?.state, 'offline');
});

test('eclipse hosts - a snapshot from before host health restores and takes reports', () => {
  const old = start();
  old.send(failure(uuid('job-1'), 'a', 'gpu_starvation', T0));
  const persisted = old.actor.getPersistedSnapshot() as unknown as {
    context: Record<string, unknown>;
  };
  assert.not.ok('hosts' in persisted.context, 'older snapshots have no hosts');
  const e = start(DEFAULT_ECLIPSE, persisted);
  assert.equal(e.context().attempts, { [uuid('job-1')]: 1 });
  const out = e.send(health('h1', T0 + 1_000, ['load 9 per cpu is above 2']));
  assert.is(states(out)[0]?.state, 'degraded');
});

test('eclipse alerts - excessive_retries at the N-th failure of a job, job_failed when it is abandoned', () => {
  const e = start({ ...DEFAULT_ECLIPSE, quarantineAfter: 100, maxAttempts: 4 });
  const job = uuid('job-r');
  const raised = ['a', 'b', 'c', 'd'].map((instance, n) =>
    alerts(e.send(failure(job, instance, 'network_timeout', T0 + n * 1_000))),
  );
  assert.equal(
    raised.map((as) => as.map((a) => a.type)),
    [[], [], ['excessive_retries'], ['job_failed']],
  );
  const excessive = raised[2]![0]!;
  assert.is(excessive.severity, 'warning');
  assert.is(excessive.run_id, job);
  assert.is(excessive.stage, 'editor');
  assert.is(excessive.site_id, SITE);
  assert.equal(excessive.details, { instance: 'c', error_code: 'network_timeout', attempt: 3 });
  const failed = raised[3]![0]!;
  assert.is(failed.severity, 'critical');
  assert.ok(failed.message.includes('4 of 4 attempts used'), failed.message);
});

test('eclipse alerts - a deterministic failure fails the job at once; the threshold is configurable', () => {
  const e = start({ ...DEFAULT_ECLIPSE, excessiveRetriesAfter: 2 });
  const bad = alerts(e.send(failure(uuid('job-bad'), 'a', 'bad_command', T0)));
  assert.equal(
    bad.map((a) => [a.type, a.run_id]),
    [['job_failed', uuid('job-bad')]],
  );
  const job = uuid('job-2');
  assert.equal(alerts(e.send(failure(job, 'a', 'rate_limited', T0 + 1))), []);
  assert.equal(
    alerts(e.send(failure(job, 'b', 'rate_limited', T0 + 2))).map((a) => a.type),
    ['excessive_retries'],
  );
  assert.equal(alerts(e.send(failure(job, 'c', 'rate_limited', T0 + 3))), [], 'raised once');
});

test.run();
