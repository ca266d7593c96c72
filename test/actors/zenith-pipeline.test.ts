import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ZenithOptions } from '../../actors/cognitive/index.ts';
import { DEFAULT_PIPELINE } from '../../actors/cognitive/zenith-pipeline.ts';
import type { ClipPromotion, ContractType } from '../../protocols/index.ts';
import type { PublishEmit } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';
import {
  arbitrations as arbitrationsOnly,
  commands,
  type Emits,
  message,
  start,
  T0,
  uuid,
} from '../support/zenith-kit.ts';

/** Zenith's arbitrations among everything it emitted (promotions are publishes too). */
const arbitrations = (es: Emits) =>
  arbitrationsOnly(es.filter((e) => e.type === 'omniva.publish' && e.contract === 'Arbitration'));

const O: ZenithOptions = {
  workers: { analyzer: ['w1'], editor: ['w1'], uploader: ['w1'] },
  cycleMs: 30_000,
  pipeline: DEFAULT_PIPELINE,
  signGrant: (clip) => `grant-for-${clip}`,
};
const VIDEO = uuid('video');

function asset(video = VIDEO, source = 'talk.mp4') {
  const a = example('VideoAssetCreated');
  return {
    ...a,
    video_id: video,
    source_item: source,
    analysis_stub: { ...a.analysis_stub, video_id: video },
  };
}

function analysis(jobId: string, video = VIDEO): ContractType<'AnalysisReport'> {
  const r = example('AnalysisReport');
  const c = (start_time: number, end_time: number, tags: string[]) => ({
    start_time,
    end_time,
    confidence: 0.5,
    subject_focus: 'creator',
    faces_detected: 0,
    semantic_tags: tags,
    pantheon_votes: {},
    lattice_priority: 0.5,
  });
  return {
    ...r,
    job_id: jobId,
    result: {
      ...r.result,
      video_id: video,
      clip_candidates: [c(10, 30, ['bread']), c(40, 65, ['ovens'])],
    },
    candidate_features: [
      { start_time: 10, end_time: 30, features: {}, scores: {}, text: 'Why does bread rise?' },
      { start_time: 40, end_time: 65, features: {}, scores: {}, text: 'Ovens at four.' },
    ],
  };
}

function votes(jobId: string, scores: [number, number]) {
  const v = example('VoteReport');
  return {
    ...v,
    video_id: VIDEO,
    analysis_job_id: jobId,
    ranking: [
      {
        candidate_index: 0,
        start_time: 10,
        end_time: 30,
        score: scores[0],
        consensus: 0.9,
        dissent: [],
      },
      {
        candidate_index: 1,
        start_time: 40,
        end_time: 65,
        score: scores[1],
        consensus: 0.8,
        dissent: ['risk_guard'],
      },
    ].sort((a, b) => b.score - a.score),
  };
}

/** Asset → analysis command → report + votes: returns the machine and what the votes emitted. */
function throughVotes(scores: [number, number] = [0.4, 0.8]) {
  const z = start(O);
  const first = z.send(message('VideoAssetCreated', asset(), T0));
  const analyze = commands(first)[0];
  assert.is(analyze?.contract, 'AnalyzeJob');
  const jobId = (analyze!.payload as { job_id: string }).job_id;
  z.send(message('AnalysisReport', analysis(jobId), T0 + 1_000));
  const out = z.send(message('VoteReport', votes(jobId, scores), T0 + 2_000));
  return { z, out, jobId };
}

test('zenith pipeline - a new asset is analysed; the same asset again changes nothing', () => {
  const z = start(O);
  const a = z.send(message('VideoAssetCreated', asset(), T0));
  assert.equal(
    commands(a).map((c) => [c.worker, c.instance, c.contract]),
    [['analyzer', 'w1', 'AnalyzeJob']],
  );
  assert.equal(z.send(message('VideoAssetCreated', asset(), T0 + 5, { seed: 'again' })), []);
});

test('zenith pipeline - the best-voted candidate is promoted, the loser named, and the edit issued', () => {
  const { out } = throughVotes([0.4, 0.8]);
  const promote = arbitrations(out).find((x) => x.a.decision === 'promote');
  assert.ok(promote);
  assert.match(promote.a.reason, /^40-65 s becomes a clip/);
  assert.equal(
    promote.a.rejected.map((r) => r.ref),
    ['candidate-0'],
  );
  assert.equal(
    promote.a.accepted.map((a) => a.module),
    ['pantheon'],
  );
  const promotion = out.find(
    (e): e is PublishEmit => e.type === 'omniva.publish' && e.contract === 'ClipPromotion',
  );
  const p = promotion!.payload as ClipPromotion;
  assert.equal([p.start_time, p.end_time, p.transcript], [40, 65, 'Ovens at four.']);
  const edit = commands(out)[0];
  assert.is(edit?.contract, 'EditOrder');
  assert.is((edit!.payload as { job: { clip_id: string } }).job.clip_id, p.clip_id);
  assert.ok(edit?.evidence.length && edit.evidence.every((id) => promote.parents.includes(id)));
});

test('zenith pipeline - no candidate above the minimum score is a reject, not a clip', () => {
  const { out } = throughVotes([0.1, 0.2]);
  assert.equal(
    arbitrations(out).map((x) => x.a.decision),
    ['reject'],
  );
  assert.equal(commands(out), []);
});

test('zenith pipeline - a held Chorus package holds the clip; a ready one asks for a slot', () => {
  for (const status of ['held', 'ready'] as const) {
    const { z, out } = throughVotes();
    const clip = (
      out.find(
        (e): e is PublishEmit => e.type === 'omniva.publish' && e.contract === 'ClipPromotion',
      )!.payload as ClipPromotion
    ).clip_id;
    const rendered = { ...example('ClipRendered'), clip_id: clip };
    z.send(message('ClipRendered', rendered, T0 + 3_000));
    const pkg = {
      ...example('ChorusPackage'),
      clip_id: clip,
      status,
      conflicts:
        status === 'held'
          ? [
              {
                rule: 'banned_term' as const,
                field: 'transcript' as const,
                term: 'ovens',
                detail: 'banned term "ovens"',
              },
            ]
          : [],
    };
    const after = z.send(message('ChorusPackage', pkg, T0 + 4_000));
    if (status === 'held') {
      assert.equal(
        arbitrations(after).map((x) => x.a.decision),
        ['hold'],
      );
      assert.match(arbitrations(after)[0]?.a.reason ?? '', /banned_term "ovens"/);
      assert.equal(commands(after), []);
    } else {
      assert.equal(
        commands(after).map((c) => c.contract),
        ['ScheduleOrder'],
      );
    }
  }
});

test('zenith pipeline - a duplicate blocks only the copy, never the original', () => {
  const z = start(O);
  const copy = uuid('copy');
  z.send(message('VideoAssetCreated', asset(), T0));
  z.send(message('VideoAssetCreated', asset(copy, 'talk-copy.mp4'), T0 + 1));
  const report = {
    ...example('ConflictReport'),
    conflict: 'duplicate_media' as const,
    action: 'block' as const,
    affected: [
      { type: 'video' as const, id: copy },
      { type: 'video' as const, id: VIDEO },
    ],
  };
  const out = z.send(message('ConflictReport', report, T0 + 2));
  assert.equal(
    arbitrations(out).map((x) => [x.a.decision, x.a.video_id]),
    [['hold', copy]],
  );
  assert.ok(z.context().pipeline?.videos[copy]?.blocked);
  assert.not.ok(z.context().pipeline?.videos[VIDEO]?.blocked);
});

test('zenith pipeline - a slot outside Horizon’s window is moved; one inside is approved and granted', () => {
  const { z, out } = throughVotes();
  const clip = (
    out.find(
      (e): e is PublishEmit => e.type === 'omniva.publish' && e.contract === 'ClipPromotion',
    )!.payload as ClipPromotion
  ).clip_id;
  z.send(
    message(
      'HorizonGuidance',
      {
        ...example('HorizonGuidance'),
        slot_weights: [{ start: '17:00', end: '20:00', weight: 1 }],
      },
      T0 + 2_500,
    ),
  );
  z.send(message('ClipRendered', { ...example('ClipRendered'), clip_id: clip }, T0 + 3_000));
  z.send(message('ChorusPackage', { ...example('ChorusPackage'), clip_id: clip }, T0 + 4_000));
  const early = {
    clip_id: clip,
    channel: 'main',
    change: 'scheduled' as const,
    slot: '2026-11-02T09:00:00Z',
    reason: 'free',
  };
  const moved = z.send(message('ScheduleChange', early, T0 + 5_000));
  assert.equal(
    arbitrations(moved).map((x) => x.a.decision),
    ['reschedule'],
  );
  const ask = commands(moved)[0]!.payload as { task: { recommended_time: string } };
  assert.is(ask.task.recommended_time, '2026-11-02T17:00:00.000Z');
  const inside = {
    ...early,
    change: 'rescheduled' as const,
    slot: '2026-11-02T17:00:00Z',
    previous_slot: early.slot,
  };
  const ok = z.send(message('ScheduleChange', inside, T0 + 6_000));
  assert.equal(
    arbitrations(ok).map((x) => x.a.decision),
    ['approve'],
  );
  assert.ok(ok.some((e) => e.type === 'omniva.effect' && e.name === 'grant'));
  const issued = z.send({
    type: 'effect.done',
    id: `grant-${clip}`,
    name: 'grant',
    output: { token: 'signed' },
    now: T0 + 7_000,
  });
  const publish = commands(issued)[0];
  assert.is(publish?.contract, 'PublishOrder');
  assert.equal(
    [
      (publish!.payload as { authorization: string }).authorization,
      (publish!.payload as { job: { scheduled_time: string } }).job.scheduled_time,
    ],
    ['signed', '2026-11-02T17:00:00Z'],
  );
});

test.run();
