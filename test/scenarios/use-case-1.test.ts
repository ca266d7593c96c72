// Use Case 1 of the technical spec, detecting the best clip: the analyzer emits candidates,
// Lattice sets their priorities, Pantheon's personas vote, Zenith promotes the winner (the
// fixture's planted highlight) and issues the EditOrder and later the PublishOrder, citing
// Pantheon's votes in Stardust; HaloLux explains the clip from the ledger.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  AnalysisReport,
  Arbitration,
  ClipPromotion,
  EditOrder,
  LatticeHints,
  PublishOrder,
  PublishReceipt,
  VideoAssetCreated,
  VoteReport,
} from '../../protocols/index.ts';
import { one, openScenario, type Scenario, type Seen, timeBound } from './harness.ts';

timeBound(170_000);

let s: Scenario;
let asset: Seen<VideoAssetCreated>;
let analysis: Seen<AnalysisReport>;
let votes: Seen<VoteReport>;
let promotion: Seen<ClipPromotion>;
let promote: Seen<Arbitration>;
let receipt: Seen<PublishReceipt>;
let highlight: { start: number; end: number };

test.before(async () => {
  s = await openScenario();
  const h = s.sample.manifest.sets.talk?.highlight;
  assert.ok(h, 'the sample has a planted highlight');
  highlight = { start: h.start_ms / 1000, end: h.end_ms / 1000 };
  await s.ingest(s.sample.files.talk);
  [receipt] = (await s.next('PublishReceipt', undefined, 120_000)) as [Seen<PublishReceipt>];
  await s.ledger.settle();
  asset = one(s.of('VideoAssetCreated'), 'asset');
  analysis = one(s.of('AnalysisReport'), 'analysis');
  votes = one(s.of('VoteReport'), 'vote report');
  promotion = one(s.of('ClipPromotion'), 'promotion');
  promote = one(
    s.decisions((a) => a.decision === 'promote'),
    'promote arbitration',
  );
});

test.after(async () => {
  await s?.stop();
});

const covers = (c: { start_time: number; end_time: number }) =>
  c.start_time <= highlight.start + 0.01 && c.end_time >= highlight.end - 0.01;

test('use case 1 - Lattice publishes a priority for every candidate of the new video', async () => {
  const video = analysis.payload.result.video_id;
  const hints = one(
    s.of('LatticeHints', (h) => h.video_id === video),
    'LatticeHints for the video',
  ) as Seen<LatticeHints>;
  const candidates = analysis.payload.result.clip_candidates;
  assert.ok(candidates.length >= 2, 'the analyzer emitted several candidates');
  assert.equal(
    hints.payload.candidates.map((c) => [c.candidate_index, c.start_time, c.end_time]),
    candidates.map((c, i) => [i, c.start_time, c.end_time]),
    'one hint row per candidate, in order',
  );
  for (const row of hints.payload.candidates) {
    const c = candidates[row.candidate_index];
    assert.ok(c);
    assert.ok(
      Math.abs(row.priority - (c.confidence + row.priority_delta)) < 0.0015,
      `priority = confidence + delta for candidate ${row.candidate_index}`,
    );
    assert.ok((row.note ?? '').length > 0, 'every delta is explained');
  }
  const packet = await s.packet(hints.stardust_id);
  assert.ok(
    packet._meta_parents.includes(analysis.stardust_id),
    'the hints derive from the analysis',
  );
});

test('use case 1 - Pantheon ranks the planted-highlight candidate first', async () => {
  const v = votes.payload;
  assert.is(v.analysis_job_id, analysis.payload.job_id);
  const top = v.ranking[0];
  assert.ok(top, 'a ranking');
  assert.ok(covers(top), `first ${top.start_time}–${top.end_time} s holds the highlight`);
  for (const r of v.ranking.slice(1))
    assert.ok(!covers(r) && r.score <= top.score, `candidate ${r.candidate_index} ranks lower`);
  const voted = v.voters.filter((x) => x.status === 'voted');
  assert.ok(voted.length >= 4, `the personas voted: ${JSON.stringify(v.voters)}`);
  for (const x of voted)
    assert.ok(
      v.votes.some((row) => row.agent === x.agent && row.candidate_index === top.candidate_index),
      `${x.agent} voted on the winner`,
    );
  const packet = await s.packet(votes.stardust_id);
  assert.ok(packet._meta_parents.includes(analysis.stardust_id), 'the votes derive from it');
});

test('use case 1 - the promote arbitration accepts Pantheon and rejects every losing candidate', async () => {
  const a = promote.payload;
  const top = votes.payload.ranking[0];
  assert.ok(top);
  assert.is(a.clip_id, promotion.payload.clip_id);
  assert.is(a.video_id, analysis.payload.result.video_id);
  assert.equal(a.accepted[0], { module: 'pantheon', ref: votes.stardust_id });
  // Lattice counts when its hints reached Zenith first; Horizon has no guidance before the
  // first promotion (it publishes in answer to one), so it cannot be accepted here.
  const hints = s.of('LatticeHints', (h) => h.video_id === a.video_id)[0];
  for (const x of a.accepted.slice(1)) {
    assert.is(x.module, 'lattice', `only Pantheon and Lattice advise: ${JSON.stringify(x)}`);
    assert.is(x.ref, hints?.stardust_id);
  }
  const guidance = s.of('HorizonGuidance')[0];
  assert.ok(guidance, 'Horizon answered the promotion');
  assert.ok((await s.seq(guidance.stardust_id)) > (await s.seq(promote.stardust_id)));
  const losers = votes.payload.ranking.filter((r) => r.candidate_index !== top.candidate_index);
  assert.equal(
    a.rejected.map((r) => r.ref).sort(),
    losers.map((r) => `candidate-${r.candidate_index}`).sort(),
    'every losing candidate is named',
  );
  for (const r of a.rejected) {
    assert.is(r.module, 'pantheon');
    assert.match(r.why ?? '', /scored \d\.\d\d/);
  }
  assert.match(a.reason, /becomes a clip: Pantheon score/);
  const p = promotion.payload;
  assert.is(p.candidate_index, top.candidate_index);
  assert.equal([p.start_time, p.end_time], [top.start_time, top.end_time]);
  assert.ok(covers(p), 'the promoted clip holds the highlight');
  assert.match(p.rationale, /hook_hunter \d\.\d\d/, "Pantheon's rationale travels with it");
});

test('use case 1 - Zenith issues the EditOrder, then after the render and the slot the PublishOrder', async () => {
  const clip = promotion.payload.clip_id;
  const editIssue = one(
    s.decisions((a) => a.decision === 'issue' && a.worker === 'editor' && a.clip_id === clip),
    'editor issue',
  );
  const edit = one(
    s.of('EditOrder', (o) => o.job.clip_id === clip),
    'EditOrder',
  ) as Seen<EditOrder>;
  assert.is(editIssue.payload.job_key, edit.payload.editing_context_id);
  assert.equal(editIssue.payload.accepted, promote.payload.accepted);
  assert.equal(
    [edit.payload.start_time, edit.payload.end_time],
    [promotion.payload.start_time, promotion.payload.end_time],
  );
  assert.is(edit.payload.source_uri, asset.payload.media_uri);
  assert.is(edit.payload.transcript_uri, analysis.payload.transcript_uri);
  const rendered = one(
    s.of('ClipRendered', (r) => r.clip_id === clip),
    'render',
  );
  const approve = one(
    s.decisions((a) => a.decision === 'approve' && a.clip_id === clip),
    'approve',
  );
  const uploadIssue = one(
    s.decisions((a) => a.decision === 'issue' && a.worker === 'uploader' && a.clip_id === clip),
    'uploader issue',
  );
  const publish = one(
    s.of('PublishOrder', (o) => o.job.clip_id === clip),
    'PublishOrder',
  ) as Seen<PublishOrder>;
  assert.is(publish.payload.clip_uri, rendered.payload.clip_uri);
  assert.is(receipt.payload.clip_id, clip);
  const order = [promote, editIssue, edit, rendered, approve, uploadIssue, publish, receipt];
  const seqs = await Promise.all(order.map((m) => s.seq(m.stardust_id)));
  assert.equal(
    seqs,
    [...seqs].sort((x, y) => x - y),
    'promote → issue edit → EditOrder → render → approve → issue upload → PublishOrder → receipt',
  );
});

test('use case 1 - the promotion rests on the votes, the analysis and the asset, and the commands cite it', async () => {
  const ancestors = await s.ancestors(promotion.stardust_id);
  for (const [what, id] of Object.entries({
    votes: votes.stardust_id,
    analysis: analysis.stardust_id,
    asset: asset.stardust_id,
  }))
    assert.ok(ancestors.has(id), `the promotion descends from the ${what}`);
  const evidence = (await s.packet(promotion.stardust_id))._meta_parents;
  assert.equal(
    (await s.packet(promote.stardust_id))._meta_parents,
    evidence,
    'the arbitration rests on the same evidence',
  );
  const clip = promotion.payload.clip_id;
  const edit = one(
    s.of('EditOrder', (o) => o.job.clip_id === clip),
    'EditOrder',
  );
  const editPacket = await s.packet(edit.stardust_id);
  assert.is(editPacket.kind, 'command');
  for (const id of evidence)
    assert.ok(editPacket._meta_parents.includes(id), `the EditOrder cites ${id}`);
  assert.ok(editPacket._meta_parents.includes(votes.stardust_id), "it cites Pantheon's votes");
  const publish = one(
    s.of('PublishOrder', (o) => o.job.clip_id === clip),
    'PublishOrder',
  );
  const publishPacket = await s.packet(publish.stardust_id);
  assert.is(publishPacket.kind, 'command');
  assert.ok(publishPacket._meta_parents.includes(votes.stardust_id), 'so does the PublishOrder');
});

test("use case 1 - HaloLux's explanation of the clip cites Pantheon's vote report", async () => {
  const e = await s.explain({ type: 'clip', id: promotion.payload.clip_id });
  const cited = e.chain.filter((step) => step.stardust_ids.includes(votes.stardust_id));
  assert.ok(cited.length > 0, `a step cites the votes: ${JSON.stringify(e.chain)}`);
  assert.ok(
    cited.some((step) => /pantheon/i.test(step.statement)),
    'and names Pantheon',
  );
  assert.ok(
    e.chain.some((step) => step.stardust_ids.includes(promote.stardust_id)),
    'the promote decision is a step',
  );
  assert.ok(e.completeness >= 0.8, `completeness ${e.completeness}: ${e.missing.join('; ')}`);
  for (const step of e.chain) assert.ok(step.stardust_ids.length > 0);
});

test.run();
