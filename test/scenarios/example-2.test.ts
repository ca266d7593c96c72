// Example Execution 2 of the technical spec, failure recovery: the editor's first render of
// the promoted clip fails the way an out-of-memory ffmpeg does ("Cannot allocate memory"), a
// transient `resource_exhausted`; Eclipse plans a retry, Zenith records the decision and
// reissues the job after the backoff, the second render succeeds and the clip is published.
// Nothing downstream goes out before the render, nothing is done twice, and Stardust holds
// the failure, the plan, the retry and the resolution with the right parents.
//
// One process places each worker kind on one instance (the host), so there is no backup
// editor to reroute to: Eclipse advises a retry on the same instance (a reroute needs a second
// placed editor, which startSiteActors cannot configure). The failure is real: ffmpeg is found
// on PATH (there is no ffmpeg-static here), and PATH leads to a wrapper that fails the first
// render pass (output `clip.mp4`) once, then hands every call to the real ffmpeg.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  Arbitration,
  ClipPromotion,
  ClipRendered,
  EditOrder,
  PublishReceipt,
  RecoveryPlan,
  WorkerStatus,
} from '../../protocols/index.ts';
import { resolveFfmpeg } from '../../runtime/media/index.ts';
import { tempDir } from '../support/nats.ts';
import { one, openScenario, type Scenario, type Seen, timeBound } from './harness.ts';

timeBound(170_000);

let s: Scenario;
let wrapper = '';
let bin = '';
let promotion: Seen<ClipPromotion>;
let context = '';
let failure: Seen<WorkerStatus>;
let plan: Seen<RecoveryPlan>;
let retry: Seen<Arbitration>;
let edits: Seen<EditOrder>[];
let rendered: Seen<ClipRendered>;
let receipt: Seen<PublishReceipt>;

test.before(async () => {
  const real = await resolveFfmpeg({ pathEnv: process.env.PATH ?? '', useStatic: false });
  bin = tempDir('omniva-ffmpeg-');
  mkdirSync(join(bin, 'state'));
  wrapper = join(bin, 'ffmpeg');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      'for last; do :; done',
      `if [ "$last" = "clip.mp4" ] && mkdir "${join(bin, 'state', 'failed')}" 2>/dev/null; then`,
      '  echo "[libx264 @ 0x1] malloc of size 8294400 failed" >&2',
      '  echo "Error while opening encoder: Cannot allocate memory" >&2',
      '  exit 1',
      'fi',
      `exec "${real.ffmpeg}" "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
  s = await openScenario();
  assert.is((await resolveFfmpeg()).ffmpeg, wrapper, 'the site runs ffmpeg through the wrapper');
  await s.ingest(s.sample.files.talk);
  [receipt] = (await s.next('PublishReceipt', undefined, 150_000)) as [Seen<PublishReceipt>];
  await s.ledger.settle();
  promotion = one(s.of('ClipPromotion'), 'promotion');
  edits = s.of('EditOrder', (o) => o.job.clip_id === promotion.payload.clip_id);
  context = edits[0]?.payload.editing_context_id as string;
  failure = one(
    s.of('WorkerStatus', (w) => w.worker === 'editor' && w.status === 'ERROR'),
    'editor failure',
  );
  plan = one(s.of('RecoveryPlan'), 'recovery plan');
  retry = one(
    s.decisions((a) => a.decision === 'retry' || a.decision === 'reroute'),
    'retry decision',
  );
  rendered = one(
    s.of('ClipRendered', (r) => r.clip_id === promotion.payload.clip_id),
    'render',
  );
});

test.after(async () => {
  await s?.stop();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

test('example 2 - the first render fails as resource_exhausted and Eclipse plans a retry', async () => {
  assert.is(failure.payload.job_id, context);
  assert.is(failure.payload.error?.code, 'resource_exhausted');
  assert.is(failure.payload.error?.retryable, true);
  assert.match(failure.payload.error?.message ?? '', /Cannot allocate memory/);
  const p = plan.payload;
  assert.is(p.job_key, context);
  assert.is(p.worker, 'editor');
  assert.is(p.failed_instance, failure.payload.instance_id);
  assert.is(p.error_code, 'resource_exhausted');
  assert.is(p.classification, 'transient');
  assert.is(p.action, 'retry');
  assert.is(p.attempt, 1);
  assert.is(p.quarantine, false, 'one failure does not quarantine the instance');
  assert.ok(p.delay_ms > 0 && p.delay_ms <= 1_000, `backoff ${p.delay_ms} ms`);
  const packet = await s.packet(plan.stardust_id);
  assert.ok(
    packet._meta_parents.includes(failure.stardust_id),
    'the plan derives from the failure',
  );
});

test("example 2 - Zenith decides on Eclipse's plan and reissues the job once, after the backoff", async () => {
  const a = retry.payload;
  assert.is(a.decision, 'retry', 'the only editor instance takes the retry');
  assert.is(a.job_key, context);
  assert.is(a.worker, 'editor');
  assert.is(
    a.clip_id,
    edits[0]?.payload.job.clip_id,
    'the decision names the clip, so its story has it',
  );
  assert.is(a.instance, failure.payload.instance_id);
  assert.equal(a.accepted, [{ module: 'eclipse', ref: plan.payload.plan_id }]);
  assert.match(a.reason, /^retry advised after resource_exhausted; attempt 2 on /);
  assert.equal(
    s.decisions((x) => x.decision === 'quarantine' || x.decision === 'abandon'),
    [],
    'nothing quarantined or abandoned',
  );
  assert.is(edits.length, 2, 'two EditOrders: the first and the retry');
  const [first, second] = edits as [Seen<EditOrder>, Seen<EditOrder>];
  assert.equal(second.payload, first.payload, 'the retry is the same job');
  assert.ok(
    Date.parse(second.envelope.emitted_at) - Date.parse(retry.envelope.emitted_at) >=
      plan.payload.delay_ms - 50,
    'reissued after the backoff',
  );
  const seqs = await Promise.all(
    [first, failure, plan, retry, second].map((m) => s.seq(m.stardust_id)),
  );
  assert.equal(
    seqs,
    [...seqs].sort((x, y) => x - y),
    'command → failure → plan → decision → retry',
  );
  const resolve = one(
    s.decisions((x) => x.decision === 'resolve' && x.job_key === context),
    'resolution',
  );
  assert.match(resolve.payload.reason, /finished after 2 attempt\(s\)/);
});

test('example 2 - the clip is produced after a single retry and published; nothing downstream went out before it', async () => {
  const clip = promotion.payload.clip_id;
  const statuses = s
    .of('WorkerStatus', (w) => w.job_id === context && w.status !== 'RUNNING')
    .map((m) => m.payload.status);
  assert.equal(statuses, ['ERROR', 'DONE'], 'one failure, then one success');
  assert.is(rendered.payload.reused, false, 'rendered anew: the failed attempt stored nothing');
  assert.is(receipt.payload.clip_id, clip);
  assert.is(s.of('PublishReceipt').length, 1, 'published once');
  const renderSeq = await s.seq(rendered.stardust_id);
  for (const m of [
    ...s.of('ScheduleOrder', (o) => o.task.clip_id === clip),
    ...s.of('PublishOrder', (o) => o.job.clip_id === clip),
  ])
    assert.ok((await s.seq(m.stardust_id)) > renderSeq, `${m.type} waited for the render`);
});

test('example 2 - lineage: the render descends from the retry command, which cites the failure and the plan', async () => {
  const [first, second] = edits as [Seen<EditOrder>, Seen<EditOrder>];
  const render = await s.packet(rendered.stardust_id);
  assert.ok(render._meta_parents.includes(second.stardust_id), 'the render comes of the retry');
  assert.not.ok(render._meta_parents.includes(first.stardust_id));
  const again = await s.packet(second.stardust_id);
  assert.is(again.kind, 'command');
  assert.ok(again._meta_parents.includes(failure.stardust_id), 'the retry cites the failure');
  assert.ok(again._meta_parents.includes(plan.stardust_id), 'the retry cites the plan');
  const decision = await s.packet(retry.stardust_id);
  assert.ok(
    decision._meta_parents.includes(failure.stardust_id) &&
      decision._meta_parents.includes(plan.stardust_id),
    'the decision cites both',
  );
  assert.ok(
    (await s.packet(failure.stardust_id))._meta_parents.includes(first.stardust_id),
    'the failure derives from the first command',
  );
  const ancestors = await s.ancestors(receipt.stardust_id);
  for (const [what, id] of Object.entries({
    'the retry': second.stardust_id,
    'the plan': plan.stardust_id,
    'the failure': failure.stardust_id,
    'the first command': first.stardust_id,
    'the promotion evidence (votes)': s.of('VoteReport')[0]?.stardust_id as string,
  }))
    assert.ok(ancestors.has(id), `the receipt descends from ${what}`);
  const v = await s.ledger.verify();
  assert.equal(v.ok, true, JSON.stringify(v));
});

test('example 2 - no duplicate is reported and HaloLux narrates the failure and the recovery', async () => {
  assert.equal(s.of('ConflictReport'), [], 'Paradox found no duplicate');
  // The job's story: failure, plan, Zenith's decision, the success and the resolution.
  const job = await s.explain({ type: 'job', id: context });
  const done = one(
    s.of('WorkerStatus', (w) => w.job_id === context && w.status === 'DONE'),
    'DONE status',
  );
  const resolve = one(
    s.decisions((x) => x.decision === 'resolve' && x.job_key === context),
    'resolution',
  );
  const stepOf = (e: typeof job, id: string) =>
    e.chain.find((x) => x.stardust_ids.includes(id))?.statement ?? '';
  assert.match(stepOf(job, failure.stardust_id), /ERROR: resource_exhausted/);
  assert.match(stepOf(job, plan.stardust_id), /Eclipse planned to retry/);
  assert.match(stepOf(job, retry.stardust_id), /Zenith decided "retry"/);
  assert.match(stepOf(job, done.stardust_id), / DONE/);
  assert.match(stepOf(job, resolve.stardust_id), /finished after 2 attempt/);
  assert.match(job.narrative, /resource_exhausted/);
  // The clip's story, what an operator asks about, shows the failed render and the one after.
  const clip = await s.explain({ type: 'clip', id: promotion.payload.clip_id });
  assert.match(stepOf(clip, failure.stardust_id), /resource_exhausted/);
  assert.match(stepOf(clip, plan.stardust_id), /planned to retry/);
  assert.match(stepOf(clip, edits[1]?.stardust_id as string), /ordered the edit/);
  assert.match(stepOf(clip, rendered.stardust_id), /rendered clip/);
  assert.is(clip.completeness, 1);
});

test.run();
