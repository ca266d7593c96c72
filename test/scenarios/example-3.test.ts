// Example Execution 3 of the technical spec, strategy adjustment: the campaign wants little of
// one niche (`topic_mix`), yet the first episode's three promoted clips give it a third of the
// output. Horizon warns of the drift and weighs the niche down; Lattice dampens its candidates
// in the next episode's hints; Pantheon votes with the new weights; Zenith's next promotion
// cites the newer guidance and scores the niche lower, and carries Horizon's weight into the
// scheduling plan; the scheduler spaces the releases.
//
// The second episode is the same talk remuxed under another name (other bytes, so Paradox
// does not block it as a duplicate; the same streams, so the analysis is identical and every
// difference in the advice comes from the guidance).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  Arbitration,
  ClipPromotion,
  HorizonGuidance,
  LatticeHints,
  VoteReport,
} from '../../protocols/index.ts';
import { resolveFfmpeg } from '../../runtime/media/index.ts';
import { one, openScenario, type Scenario, type Seen, timeBound } from './harness.ts';

timeBound(175_000);

/** The topic of the sample's planted highlight (its first semantic tag), the best candidate. */
const NICHE = 'pile';
const MIX = { [NICHE]: 0.1, lesson: 0.45, remember: 0.45 };

let s: Scenario;
let videoA = '';
let videoB = '';
let drift: Seen<HorizonGuidance>;

const promotionsOf = (video: string) => s.of('ClipPromotion', (p) => p.video_id === video);
const promotesOf = (video: string) =>
  s.decisions((a) => a.decision === 'promote' && a.video_id === video);

test.before(async () => {
  s = await openScenario({
    cognitive: {
      zenith: { clips_per_video: 3 },
      horizon: { topic_mix: MIX },
    },
  });
  await s.ingest(s.sample.files.talk);
  const first = await s.next('ClipPromotion', undefined, 60_000, 3);
  videoA = (first[0] as Seen<ClipPromotion>).payload.video_id;
  // Horizon judges the mix from the third promotion on.
  [drift] = (await s.next(
    'HorizonGuidance',
    (g) => g.drift.some((d) => d.topic === NICHE),
    30_000,
  )) as [Seen<HorizonGuidance>];
  // The second episode: the same talk under another name, its captions beside it.
  const dir = join(s.dataDir, 'episode-2');
  const tools = await resolveFfmpeg();
  mkdirSync(dir, { recursive: true });
  const remux = spawnSync(tools.ffmpeg, [
    '-v',
    'error',
    '-i',
    s.sample.files.talk,
    '-map',
    '0',
    '-c',
    'copy',
    '-metadata',
    'comment=episode 2',
    join(dir, 'episode.mp4'),
  ]);
  assert.is(remux.status, 0, String(remux.stderr));
  copyFileSync(s.sample.files.talkSrt, join(dir, 'episode.srt'));
  await s.ingest(join(dir, 'episode.mp4'));
  const later = await s.next('ClipPromotion', (p) => p.video_id !== videoA, 90_000, 1);
  videoB = (later[0] as Seen<ClipPromotion>).payload.video_id;
  // Six clips in all; wait until every one is published.
  await s.next('PublishReceipt', undefined, 120_000, 6);
  await s.ledger.settle();
});

test.after(async () => {
  await s?.stop();
});

test('example 3 - the first episode over-indexes on the niche and Horizon warns and weighs it down', async () => {
  const promoted = promotionsOf(videoA).map((p) => p.payload.topic);
  assert.is(promoted.length, 3);
  assert.ok(promoted.includes(NICHE), `the highlight's topic is ${NICHE}: ${promoted}`);
  const d = drift.payload.drift.find((x) => x.topic === NICHE);
  assert.ok(d);
  assert.is(d.target, MIX[NICHE]);
  assert.ok(d.share - d.target > 0.15, `share ${d.share} over target ${d.target}`);
  assert.match(d.warning, new RegExp(`^${NICHE} is \\d+ % of 3 promoted clips .*over-indexed`));
  assert.ok((drift.payload.topic_weights[NICHE] ?? 0) < 0, 'the niche weighs against');
  const packet = await s.packet(drift.stardust_id);
  const third = promotionsOf(videoA)[2];
  assert.ok(
    third && packet._meta_parents.includes(third.stardust_id),
    'cites the tipping promotion',
  );
});

test("example 3 - Lattice's hints for the next episode dampen the niche", async () => {
  const before = one(
    s.of('LatticeHints', (h) => h.video_id === videoA),
    'hints for the first episode',
  ) as Seen<LatticeHints>;
  const after = one(
    s.of('LatticeHints', (h) => h.video_id === videoB),
    'hints for the second episode',
  ) as Seen<LatticeHints>;
  assert.ok(after.payload.routing_sequence > before.payload.routing_sequence);
  const niche = after.payload.candidates.filter((c) => c.topic === NICHE);
  assert.ok(niche.length > 0, 'the niche has candidates in the second episode');
  const weight = drift.payload.topic_weights[NICHE] as number;
  for (const c of niche) {
    assert.ok(c.priority_delta < 0, `candidate ${c.candidate_index}: delta ${c.priority_delta}`);
    assert.match(c.note ?? '', /over-represented: dampened/);
    assert.match(c.note ?? '', `Horizon weight ${weight}`);
    const was = before.payload.candidates.find((x) => x.candidate_index === c.candidate_index);
    assert.ok(was && c.priority < was.priority, 'lower than for the same moment before');
  }
  // What the first episode did not cover is lifted: the mix is redistributed.
  const covered = promotionsOf(videoA).map((p) => p.payload.topic);
  const lifted = after.payload.candidates.filter((c) => c.priority_delta > 0);
  assert.ok(lifted.length > 0, 'some candidates are boosted');
  for (const c of lifted) {
    assert.not.ok(covered.includes(c.topic), `${c.topic} was not promoted yet`);
    assert.match(c.note ?? '', /underrepresented: boosted/);
  }
  const others = after.payload.candidates.filter((c) => c.topic !== NICHE);
  for (const c of niche)
    for (const o of others)
      assert.ok(c.priority_delta < o.priority_delta, `${NICHE} is dampened most (${o.topic})`);
});

test('example 3 - Pantheon votes with the newer guidance and the niche loses ground', async () => {
  const a = one(
    s.of('VoteReport', (v) => v.video_id === videoA),
    'votes A',
  ) as Seen<VoteReport>;
  const b = one(
    s.of('VoteReport', (v) => v.video_id === videoB),
    'votes B',
  ) as Seen<VoteReport>;
  const packet = await s.packet(b.stardust_id);
  const guidance = packet._meta_parents.filter((id) =>
    s.of('HorizonGuidance').some((g) => g.stardust_id === id),
  );
  assert.is(guidance.length, 1, 'the votes cite one guidance');
  assert.ok(
    (await s.seq(guidance[0] as string)) >= (await s.seq(drift.stardust_id)),
    'the guidance with the drift warning, or a later one',
  );
  const nicheIndex = promotionsOf(videoA).find((p) => p.payload.topic === NICHE)?.payload
    .candidate_index;
  const score = (v: VoteReport) => v.ranking.find((r) => r.candidate_index === nicheIndex)?.score;
  assert.ok(
    (score(b.payload) as number) < (score(a.payload) as number),
    `the niche's Pantheon score fell: ${score(a.payload)} → ${score(b.payload)}`,
  );
  // The same analysis, other guidance: the ensemble's favourite moves off the niche.
  assert.is(a.payload.ranking[0]?.candidate_index, nicheIndex, 'first time the niche led');
  assert.is.not(b.payload.ranking[0]?.candidate_index, nicheIndex, 'now another topic leads');
});

test("example 3 - Zenith's next promotion cites the newer guidance and scores the niche lower", async () => {
  const [promote] = promotesOf(videoB) as [Seen<Arbitration>];
  assert.ok(promote, 'the second episode is promoted');
  const horizon = promote.payload.accepted.find((x) => x.module === 'horizon');
  assert.ok(horizon, `Horizon is accepted: ${JSON.stringify(promote.payload.accepted)}`);
  const cited = one(
    s.of('HorizonGuidance', (_g, m) => m.stardust_id === horizon.ref),
    'accepted guidance',
  );
  assert.ok(
    cited.payload.drift.some((d) => d.topic === NICHE),
    'it carries the drift warning',
  );
  assert.ok((await s.seq(cited.stardust_id)) >= (await s.seq(drift.stardust_id)));
  const packet = await s.packet(promote.stardust_id);
  assert.ok(packet._meta_parents.includes(cited.stardust_id), 'the decision cites it');
  const hintsB = s.of('LatticeHints', (h) => h.video_id === videoB)[0];
  const lattice = promote.payload.accepted.find((x) => x.module === 'lattice');
  if (lattice) assert.is(lattice.ref, hintsB?.stardust_id, 'and the newer hints');
  const [first] = promotesOf(videoA) as [Seen<Arbitration>];
  assert.not.ok(
    first.payload.accepted.some((x) => x.module === 'horizon'),
    'the first episode had no guidance yet',
  );
  // Same moment, two episodes: the niche's combined score is lower the second time.
  const combined = (a: Arbitration, span: string) => {
    if (a.reason.startsWith(span)) return Number(/→ (\d\.\d\d)$/.exec(a.reason)?.[1]);
    const r = a.rejected.find((x) => x.why?.startsWith(span));
    return Number(/scored (\d\.\d\d)/.exec(r?.why ?? '')?.[1]);
  };
  const niche = promotionsOf(videoA).find((p) => p.payload.topic === NICHE) as Seen<ClipPromotion>;
  const span = `${niche.payload.start_time}-${niche.payload.end_time} s`;
  const scoreA = combined(
    promotesOf(videoA).find((a) => a.payload.clip_id === niche.payload.clip_id)
      ?.payload as Arbitration,
    span,
  );
  const inB = promotesOf(videoB)
    .map((a) => combined(a.payload, span))
    .find((x) => x > 0);
  assert.ok(scoreA > 0 && inB !== undefined, `scores found: ${scoreA}, ${inB}`);
  assert.ok(inB < scoreA, `the niche scored ${scoreA}, now ${inB}`);
  const best = (video: string) =>
    [...promotionsOf(video)].sort((x, y) => y.payload.score - x.payload.score)[0]?.payload.topic;
  assert.is(best(videoA), NICHE, 'the niche was the best clip of the first episode');
  assert.is.not(best(videoB), NICHE, 'another topic is the best clip of the second');
});

test("example 3 - Zenith carries Horizon's weights into the scheduling plan and the releases are spaced", async () => {
  const orders = s.of('ScheduleOrder', (o) =>
    promotionsOf(videoB).some((p) => p.payload.clip_id === o.task.clip_id),
  );
  assert.is(orders.length, 3, 'the second episode is scheduled');
  for (const o of orders) {
    const topic = promotionsOf(videoB).find((p) => p.payload.clip_id === o.payload.task.clip_id)
      ?.payload.topic as string;
    const weight = drift.payload.topic_weights[topic] ?? 0;
    assert.is(o.payload.task.horizon_adjustment, weight, `${topic}: Horizon's weight`);
  }
  // The uploader releases them staggered, at the slots the scheduler spaced out.
  const releases = s
    .of('PublishReceipt')
    .map((r) => Date.parse(r.payload.scheduled_time as string))
    .sort((x, y) => x - y);
  assert.is(releases.length, 6);
  assert.is(new Set(s.of('PublishReceipt').map((r) => r.payload.clip_id)).size, 6);
  for (let i = 1; i < releases.length; i++)
    assert.ok(
      (releases[i] as number) - (releases[i - 1] as number) >= 120 * 60_000,
      'at least min_spacing_minutes (120) apart',
    );
  assert.equal(
    s.of('ConflictReport', (c) => c.action === 'block'),
    [],
    'nothing blocked',
  );
});

test.run();
