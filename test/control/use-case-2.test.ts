// Use Case 2 of the technical spec, worker failure recovery: an editor instance fails with
// gpu_starvation → Eclipse plans a reroute and quarantines it → Zenith records the
// arbitration and reassigns the job → the other instance succeeds → Stardust holds the
// failure, the plan, the retry and the resolution with the right parents.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ECLIPSE, eclipseKind } from '../../actors/cognitive/index.ts';
import { type StardustPacket, subjects, type WorkerErrorCode } from '../../protocols/index.ts';
import { EpochGuard, SiteClient } from '../../runtime/index.ts';
import { type ControlSite, openControlSite, startZenith } from '../support/control-site.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { waitFor } from '../support/nats.ts';
import { SITE, startHost } from '../support/site.ts';

let site: ControlSite;
const renders: string[] = [];
const editorKind = (instance: string, failWith?: WorkerErrorCode) =>
  testEditorKind(instance, renders, failWith);
test.before(async () => {
  site = await openControlSite();
});

test.after(async () => {
  await site.close();
});

test('use case 2 - a failing editor is quarantined, the job rerouted, and the ledger tells the story', async () => {
  const fenced = async (instance: string, failWith?: WorkerErrorCode) => {
    const guard = new EpochGuard({ nc: site.nc, site: SITE, receiver: `editor-${instance}` });
    await guard.start();
    return startHost(site.nc, editorKind(instance, failWith), {
      fencing: guard,
      ledger: site.ledger,
    });
  };
  const editorA = await fenced('a', 'gpu_starvation');
  const editorB = await fenced('b');
  const eclipse = await startHost(
    site.nc,
    eclipseKind({ ...DEFAULT_ECLIPSE, quarantineAfter: 1, baseDelayMs: 200, maxDelayMs: 1_000 }),
    { ledger: site.ledger },
  );
  const zenith = await startZenith(site, { editor: ['a', 'b'] });
  const { leader } = zenith;
  try {
    const clip = crypto.randomUUID();
    const operator = new SiteClient(site.nc, SITE, { actor: 'operator', ledger: site.ledger });
    const { stardust_id: requestId } = await operator.advise(
      'operator',
      'work_request',
      'WorkRequest',
      {
        request_id: crypto.randomUUID(),
        job_key: clip,
        worker: 'editor',
        contract: 'EditJob',
        payload: {
          clip_id: clip,
          operations: ['cut', 'reframe'],
          ffmpeg_commands: [],
          gpu_required: true,
          estimated_duration: 20,
        },
        requested_by: 'operator',
      },
    );

    const z = await waitFor(async () => {
      const v = await zenith.host().inspect();
      const jobs = (
        v.context as {
          jobs: Record<string, { status: string; instance: string; attempts: number }>;
        }
      ).jobs;
      return jobs[clip]?.status === 'done'
        ? (v.context as { jobs: typeof jobs; quarantined: string[] })
        : undefined;
    }, 20_000);
    assert.equal(z.jobs[clip]?.instance, 'b', 'the job finished on the other instance');
    assert.equal(z.jobs[clip]?.attempts, 2);
    assert.equal(z.quarantined, ['editor/a'], 'the failing instance is quarantined');
    assert.equal(renders, ['a', 'b'], 'one failed render on a, one render on b, nothing repeated');

    // The ledger: request → command(a) → failure → plan → arbitrations → command(b) → done → resolution.
    await site.ledger.settle();
    const index = await site.ledger.lineage.sync();
    const packets = new Map<string, StardustPacket>();
    for (const node of [...index.byEntity('job', clip), ...index.byEntity('clip', clip)]) {
      const p = await site.ledger.get(node.stardust_id);
      if (p) packets.set(p.stardust_id, p);
    }
    const all = [...packets.values()];
    const body = (p: StardustPacket) =>
      (p.payload as { body?: Record<string, unknown> }).body ?? {};
    const find = (pred: (p: StardustPacket) => boolean, what: string) => {
      const hit = all.filter(pred);
      assert.equal(hit.length, 1, `exactly one packet: ${what}`);
      return hit[0] as StardustPacket;
    };
    const commandTo = (i: string) =>
      find(
        (p) =>
          p.kind === 'command' &&
          (p.payload as { subject: string }).subject === subjects.cmdTo(SITE, 'editor', i),
        `command to ${i}`,
      );
    const cmdA = commandTo('a');
    const cmdB = commandTo('b');
    const failure = find((p) => p.kind === 'event' && body(p).status === 'ERROR', 'failure');
    const plan = find(
      (p) => p.kind === 'advice' && (p.payload as { type: string }).type === 'RecoveryPlan',
      'plan',
    );
    const decision = (d: string) =>
      find(
        (p) => (p.payload as { type: string }).type === 'Arbitration' && body(p).decision === d,
        `arbitration ${d}`,
      );
    const issued = decision('issue');
    const quarantine = decision('quarantine');
    const reroute = decision('reroute');
    const done = find((p) => p.kind === 'event' && body(p).status === 'DONE', 'done');
    const resolution = decision('resolve');

    assert.ok(requestId);
    assert.ok(
      cmdA._meta_parents.includes(requestId as string),
      'the first command cites the request',
    );
    assert.equal(
      (cmdA.payload as { epoch: number }).epoch,
      leader.lease.epoch,
      'stamped with the lease epoch',
    );
    assert.ok(issued._meta_parents.includes(requestId as string));
    assert.ok(
      failure._meta_parents.includes(cmdA.stardust_id),
      'the failure derives from the command that failed',
    );
    assert.equal((body(failure).error as { code: string }).code, 'gpu_starvation');
    assert.ok(
      plan._meta_parents.includes(failure.stardust_id),
      'the plan derives from the failure',
    );
    assert.equal(body(plan).action, 'reroute');
    assert.equal(body(plan).quarantine, true);
    for (const p of [quarantine, reroute, cmdB]) {
      assert.ok(p._meta_parents.includes(failure.stardust_id), 'decisions cite the failure');
      assert.ok(p._meta_parents.includes(plan.stardust_id), 'decisions cite the plan');
    }
    assert.equal(body(reroute).accepted, [{ module: 'eclipse', ref: body(plan).plan_id }]);
    assert.ok(done._meta_parents.includes(cmdB.stardust_id), 'the success derives from the retry');
    assert.ok(
      resolution._meta_parents.includes(done.stardust_id),
      'the resolution cites the success',
    );
    const v = await site.ledger.verify();
    assert.equal(v.ok, true, JSON.stringify(v));
  } finally {
    await leader.stop();
    await Promise.all([editorA.drain(), editorB.drain(), eclipse.drain()]);
  }
});

test.run();
