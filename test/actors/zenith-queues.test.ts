import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WorkRequest } from '../../protocols/index.ts';
import type { MessageEvent } from '../../runtime/index.ts';
import {
  arbitrations,
  commands,
  decisions,
  failedOnA,
  iso,
  JOB,
  message,
  O,
  plan,
  readiness,
  request,
  start,
  status,
  T0,
  timers,
  uuid,
} from '../support/zenith-kit.ts';

function directive(
  now: number,
  state: 'paused' | 'resumed',
  worker?: string,
): MessageEvent<'QueueDirective'> {
  return message(
    'QueueDirective',
    { state, reason: `alice: ${state}`, source: 'eclipse', ...(worker ? { worker } : {}) },
    now,
  );
}

test('zenith - a paused queue holds a request, and a resume issues it', () => {
  const z = start();
  const pause = directive(T0, 'paused', 'editor');
  const paused = z.send(pause);
  const [p] = arbitrations(paused);
  assert.equal(p?.a, {
    decision: 'pause',
    worker: 'editor',
    accepted: [{ module: 'eclipse', ref: pause.meta.msg_id }],
    rejected: [],
    reason: 'alice: paused',
    at: iso(T0),
  });
  assert.equal(p?.parents, [pause.meta.stardust_id]);
  assert.equal(z.context().paused, ['editor']);

  const req = request(T0 + 1);
  const held = z.send(req);
  assert.equal(commands(held), [], 'nothing is issued to a paused queue');
  assert.equal(decisions(held), ['queue']);
  assert.is(z.context().jobs[JOB]?.status, 'queued');
  assert.equal(z.send(request(T0 + 2, {}, { seed: 'again' })), [], 'a queued job is not re-queued');

  const resume = directive(T0 + 3, 'resumed', 'editor');
  const out = z.send(resume);
  assert.equal(decisions(out), ['resume', 'issue']);
  const [cmd] = commands(out);
  assert.is(cmd?.instance, 'a');
  assert.equal(cmd?.evidence, [req.meta.stardust_id, resume.meta.stardust_id]);
  assert.equal(z.context().paused, []);
  assert.is(z.context().jobs[JOB]?.status, 'issued');
});

test('zenith - a pause of every queue is lifted by a resume of every queue', () => {
  const z = start();
  z.send(directive(T0, 'paused'));
  assert.equal(z.context().paused, ['*']);
  assert.equal(decisions(z.send(request(T0 + 1))), ['queue']);
  assert.equal(decisions(z.send(directive(T0 + 2, 'resumed'))), ['resume', 'issue']);
  assert.equal(z.context().paused, []);
});

// ---- determinism ---------------------------------------------------------------------------

test('zenith - identical event sequences give identical emits', () => {
  const script = () => {
    const z = start();
    z.send(request(T0));
    z.send(request(T0 + 10, { job_key: uuid('job-2') }));
    z.send(status(T0 + 1_000, { instance: 'a' }));
    const [t] = timers(z.send(plan(T0 + 1_100)));
    z.fire(t!);
    z.send({ type: 'cycle', now: T0 + 30_000 });
    z.send(status(T0 + 31_000, { instance: 'b', status: 'DONE' }));
    z.send(readiness(T0 + 40_000, 'a', 'released'));
    z.send(request(T0 + 41_000, {}, { recorded: false, seed: 'x' }));
    return { out: z.out, context: z.context() };
  };
  const first = script();
  assert.ok(first.out.length >= 12, 'the script exercises every kind of emit');
  assert.equal(script(), first);
});

// ---- defects found while writing these tests ---------------------------------------------------

// The `retry` handler issues to the instance chosen when the plan arrived. If that instance is
// quarantined during the delay, the command still goes there, against "no work is placed there".
test('zenith - a delayed retry is not issued to an instance quarantined while it waited', () => {
  const { z } = failedOnA();
  const [t] = timers(z.send(plan(T0 + 2_000))); // reroute to b in 800 ms
  assert.is(z.context().jobs[JOB]?.instance, 'b');
  z.send(readiness(T0 + 2_100, 'b', 'quarantined')); // b fails other jobs meanwhile
  const out = z.fire(t!);
  for (const cmd of commands(out)) {
    assert.is.not(cmd.instance, 'b', 'no command to a quarantined instance');
    assert.not.ok(z.context().quarantined.includes(`${cmd.worker}/${cmd.instance}`));
  }
  assert.is(commands(out)[0]?.instance, 'c', 'placed again, on the next healthy instance');
});

// Zenith refuses a request that is not in the ledger, but not a plan: with an unrecorded failure
// and an unrecorded plan the retry command has no evidence, which ZenithCommandMeta forbids
// (minItems 1). The runtime throws OMNIVA_ERR_EMIT_INVALID on the timer step, keeps the timer
// and retries it forever, escalating each time the restart budget runs out.
test('zenith - a retry is never issued without evidence', () => {
  const z = start();
  z.send(request(T0));
  z.send(status(T0 + 1_000, { instance: 'a' }, { recorded: false }));
  const out = z.send(plan(T0 + 2_000, {}, { recorded: false }));
  const t = timers(out)[0];
  const retried = t ? z.fire(t, false) : [];
  for (const cmd of commands(retried)) {
    assert.ok(cmd.evidence.length > 0, 'a command names the Stardust packets it is based on');
  }
  if (commands(retried).length === 0) {
    assert.ok(
      decisions([...out, ...retried]).includes('abandon'),
      'refused, and the refusal recorded, like an unrecorded request',
    );
  }
});

// Zenith trusts WorkRequest.contract and .payload: a payload that does not fit its contract (or a
// contract that does not exist) becomes an invalid command. The runtime rejects the emit
// (OMNIVA_ERR_EMIT_INVALID / OMNIVA_ERR_UNKNOWN_TYPE, not retryable) and dead-letters the
// request, so no Arbitration records the refusal.
test('zenith - a request that cannot become a valid command is abandoned, not issued', () => {
  const cases: [string, Partial<WorkRequest>][] = [
    ['payload that does not fit EditJob', { payload: { clip_id: JOB } }],
    ['contract that does not exist', { contract: 'NoSuchJob' }],
  ];
  for (const [what, r] of cases) {
    const z = start();
    const out = z.send(request(T0, r), false);
    assert.equal(commands(out), [], `${what}: no command`);
    assert.equal(decisions(out), ['abandon'], `${what}: the refusal is recorded`);
  }
});

// The `retry` timer issues without asking whether the queue was paused in the meantime, so a
// panic does not stop the jobs that were waiting out a backoff.
test('zenith - a delayed retry does not run while its queue is paused', () => {
  const { z } = failedOnA();
  const [t] = timers(z.send(plan(T0 + 2_000)));
  z.send(directive(T0 + 2_100, 'paused', 'editor'));
  assert.equal(commands(z.fire(t!)), [], 'the panic holds the retry too');
});

// Only the WorkRequest path arms the cycle. Jobs first issued by a resume leave it unarmed, so
// the heartbeat the cycle is for (stuck jobs, windows) never starts on such a site.
test('zenith - jobs issued by a resume arm the cycle too', () => {
  const z = start();
  z.send(directive(T0, 'paused'));
  z.send(request(T0 + 1));
  const out = z.send(directive(T0 + 2, 'resumed'));
  assert.is(commands(out).length, 1);
  assert.equal(timers(out), [
    { type: 'omniva.timer.set', id: 'cycle', at: T0 + 2 + O.cycleMs, event: { type: 'cycle' } },
  ]);
});

test.run();
