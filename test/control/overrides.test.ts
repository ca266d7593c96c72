// Manual overrides and the panic button: both enter through Zenith only (Eclipse turns a
// panic into advice), and every one is recorded with the operator's identity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ECLIPSE, eclipseKind } from '../../actors/cognitive/index.ts';
import type { Arbitration, StardustPacket } from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { type ControlSite, openControlSite, startZenith } from '../support/control-site.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { waitFor } from '../support/nats.ts';
import { SITE, startHost } from '../support/site.ts';

let site: ControlSite;
const renders: string[] = [];
type ZenithView = { jobs: Record<string, { status: string; priority?: number }>; paused: string[] };

test.before(async () => {
  site = await openControlSite();
});

test.after(async () => {
  await site.close();
});

async function arbitrations(): Promise<{ a: Arbitration; packet: StardustPacket }[]> {
  await site.ledger.settle();
  const out: { a: Arbitration; packet: StardustPacket }[] = [];
  for (let seq = 1; ; seq++) {
    const e = await site.ledger.store.bySeq(seq).catch(() => undefined);
    if (!e) break;
    if (!e.parsed.ok) continue;
    const p = e.parsed.packet;
    const body = (p.payload as { type?: string; body?: Arbitration }).body;
    if ((p.payload as { type?: string }).type === 'Arbitration' && body)
      out.push({ a: body, packet: p });
  }
  return out;
}

test('overrides - panic pauses a queue through Eclipse and Zenith; all-clear resumes it and the waiting job runs', async () => {
  const editor = await startHost(site.nc, testEditorKind('a', renders), { ledger: site.ledger });
  const eclipse = await startHost(site.nc, eclipseKind(DEFAULT_ECLIPSE), { ledger: site.ledger });
  const zenith = await startZenith(site, { editor: ['a'] });
  const { leader } = zenith;
  const view = () => zenith.view<ZenithView>();
  const alice = new SiteClient(site.nc, SITE, { actor: 'alice', ledger: site.ledger });
  try {
    await alice.advise('operator', 'panic', 'PanicSignal', {
      operator: 'alice',
      worker: 'editor',
      state: 'panic',
      reason: 'wrong channel',
    });
    await waitFor(async () => (await view()).paused.includes('editor'));

    const clip = crypto.randomUUID();
    await alice.advise('operator', 'work_request', 'WorkRequest', {
      request_id: crypto.randomUUID(),
      job_key: clip,
      worker: 'editor',
      contract: 'EditJob',
      payload: {
        clip_id: clip,
        operations: ['cut'],
        ffmpeg_commands: [],
        gpu_required: false,
        estimated_duration: 5,
      },
      requested_by: 'alice',
    });
    await waitFor(async () => (await view()).jobs[clip]?.status === 'queued');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(renders, [], 'nothing runs while the queue is paused');

    await alice.advise('operator', 'override', 'OperatorOverride', {
      override_id: crypto.randomUUID(),
      operator: 'alice',
      action: 'prioritize',
      job_key: clip,
      priority: 0.9,
      reason: 'sponsor deadline',
    });
    await waitFor(async () => (await view()).jobs[clip]?.priority === 0.9);

    await alice.advise('operator', 'panic', 'PanicSignal', {
      operator: 'alice',
      worker: 'editor',
      state: 'all_clear',
      reason: 'token fixed',
    });
    await waitFor(async () => (await view()).jobs[clip]?.status === 'done', 10_000);
    assert.equal(renders, ['a']);

    await alice.advise('operator', 'override', 'OperatorOverride', {
      override_id: crypto.randomUUID(),
      operator: 'alice',
      action: 'reject',
      job_key: crypto.randomUUID(),
      reason: 'not ours',
    });
    const decisions = await waitFor(async () => {
      const all = await arbitrations();
      return all.some((x) => x.a.decision === 'reject') ? all : undefined;
    });
    const names = decisions.map((x) => x.a.decision);
    for (const d of ['pause', 'queue', 'prioritize', 'resume', 'issue', 'resolve', 'reject']) {
      assert.ok(names.includes(d as Arbitration['decision']), `arbitration ${d} recorded`);
    }
    const pause = decisions.find((x) => x.a.decision === 'pause');
    assert.equal(pause?.a.accepted[0]?.module, 'eclipse', 'the pause came as Eclipse advice');
    assert.match(pause?.a.reason ?? '', /^alice: wrong channel/);
    const prioritize = decisions.find((x) => x.a.decision === 'prioritize');
    assert.match(
      prioritize?.a.reason ?? '',
      /^alice: sponsor deadline/,
      "the operator's identity is recorded",
    );
    const overridePacket = await site.ledger.get(prioritize?.packet._meta_parents[0] as string);
    assert.equal(overridePacket?.actor, 'alice', 'the override itself is a packet by alice');
    const reject = decisions.find((x) => x.a.decision === 'reject');
    assert.equal(reject?.a.rejected[0]?.why, 'no such job');
  } finally {
    await leader.stop();
    await Promise.all([editor.drain(), eclipse.drain()]);
  }
});

test.run();
