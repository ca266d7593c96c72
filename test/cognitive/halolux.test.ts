// HaloLux's narrator, pure: hand-built packets shaped as the recorder shapes them (payload
// { subject, type, msg_id, name, body }, entities from top-level *_id fields) → Explanation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { explain, orderStory } from '../../actors/cognitive/halolux/index.ts';
import {
  type ContractName,
  deriveMsgId,
  type Explanation,
  parseSubject,
  type StardustPacket,
  subjects,
  validateContract,
} from '../../protocols/index.ts';
import { entitiesOf } from '../../runtime/internal/recorder.ts';
import { buildPacket } from '../../runtime/stardust/index.ts';
import { example } from '../protocols/examples.ts';

const SITE = 'test';
const TRACE = '4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a';
const KIND: Record<string, string> = { cmd: 'command', evt: 'event', adv: 'advice' };
const CLIP = example('ClipPromotion').clip_id;
const VIDEO = example('ClipPromotion').video_id;

let n = 0;
let prev: string | null = null;
/** A packet as runtime/internal/recorder.ts writes it, one second after the previous one. */
function packet(
  subject: string,
  type: ContractName,
  body: Record<string, unknown>,
  actor: string,
  parents: StardustPacket[] = [],
  at?: string,
): StardustPacket {
  n++;
  const { kind, tokens } = parseSubject(subject);
  const msg_id = deriveMsgId('halolux-test', n);
  const p = buildPacket(
    SITE,
    {
      kind: KIND[kind] ?? kind,
      ref: msg_id,
      actor,
      trace_id: TRACE,
      _meta_parents: parents.map((x) => x.stardust_id),
      entities: entitiesOf(body),
      payload: { subject, type, msg_id, ...(kind === 'cmd' ? {} : { name: tokens.at(-1) }), body },
    },
    prev,
    at ?? new Date(Date.UTC(2026, 1, 1, 8, 0, n)).toISOString(),
  );
  prev = p.stardust_id;
  return p;
}

const ranking = [
  { candidate_index: 0, start_time: 12.5, end_time: 41, score: 0.8, consensus: 0.9, dissent: [] },
  {
    candidate_index: 1,
    start_time: 95,
    end_time: 118.25,
    score: 0.61,
    consensus: 0.7,
    dissent: ['risk_guard'],
  },
  { candidate_index: 2, start_time: 200, end_time: 230, score: 0.4, consensus: 0.55, dissent: [] },
];

function clipStory(promoted = 0) {
  const scrape = packet(
    subjects.cmd(SITE, 'scraper'),
    'ScraperJob',
    example('ScraperJob'),
    'zenith',
  );
  const raw = packet(
    subjects.evt(SITE, 'scraper', 'raw_captured'),
    'MediaCaptured',
    example('MediaCaptured'),
    'scraper',
    [scrape],
  );
  const asset = packet(
    subjects.evt(SITE, 'scraper', 'video_asset_created'),
    'VideoAssetCreated',
    example('VideoAssetCreated'),
    'scraper',
    [scrape],
  );
  const analyze = packet(
    subjects.cmd(SITE, 'analyzer'),
    'AnalyzeJob',
    example('AnalyzeJob'),
    'zenith',
    [raw, asset],
  );
  const analysis = packet(
    subjects.evt(SITE, 'analyzer', 'analysis_ready'),
    'AnalysisReport',
    example('AnalysisReport'),
    'analyzer',
    [analyze],
  );
  const votes = packet(
    subjects.adv(SITE, 'pantheon', 'votes'),
    'VoteReport',
    { ...example('VoteReport'), ranking },
    'pantheon',
    [analysis],
  );
  const r = ranking[promoted] as (typeof ranking)[number];
  const promotion = packet(
    subjects.adv(SITE, 'zenith', 'promotion'),
    'ClipPromotion',
    {
      ...example('ClipPromotion'),
      candidate_index: r.candidate_index,
      start_time: r.start_time,
      end_time: r.end_time,
      score: r.score,
    },
    'zenith',
    [asset, analysis, votes],
  );
  const edit = packet(subjects.cmd(SITE, 'editor'), 'EditOrder', example('EditOrder'), 'zenith', [
    votes,
  ]);
  const rendered = packet(
    subjects.evt(SITE, 'editor', 'clip_rendered'),
    'ClipRendered',
    example('ClipRendered'),
    'editor',
    [edit],
  );
  const metadata = packet(
    subjects.adv(SITE, 'chorus', 'metadata'),
    'ChorusPackage',
    example('ChorusPackage'),
    'chorus',
    [promotion, rendered],
  );
  const order = packet(
    subjects.cmd(SITE, 'scheduler'),
    'ScheduleOrder',
    example('ScheduleOrder'),
    'zenith',
    [rendered, metadata],
  );
  const slot = packet(
    subjects.evt(SITE, 'scheduler', 'scheduled'),
    'ScheduleChange',
    example('ScheduleChange'),
    'scheduler',
    [order],
  );
  const all = {
    scrape,
    raw,
    asset,
    analyze,
    analysis,
    votes,
    promotion,
    edit,
    rendered,
    metadata,
    order,
    slot,
  };
  return { ...all, packets: Object.values(all) };
}

const subject = { type: 'clip', id: CLIP } as const;

function valid(e: Explanation): Explanation {
  const v = validateContract('Explanation', e);
  assert.ok(v.ok, JSON.stringify(v.ok ? [] : v.violations));
  return e;
}

/** Drops the message body, as the recorder does for bodies over 4 KB. */
function bodiless(p: StardustPacket): StardustPacket {
  const { body: _gone, ...payload } = p.payload as Record<string, unknown>;
  return { ...p, payload };
}

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const DECIMALS = /\d+\.\d+/g;

/** Every id and every decimal a statement quotes is in the packet it cites. */
function assertGrounded(e: Explanation, packets: readonly StardustPacket[]) {
  const byId = new Map(packets.map((p) => [p.stardust_id, JSON.stringify(p)]));
  for (const step of e.chain) {
    const text = step.stardust_ids.map((id) => byId.get(id) ?? '').join('');
    assert.ok(text.length > 0, `step ${step.step} cites packets of the story`);
    for (const v of [
      ...(step.statement.match(UUIDS) ?? []),
      ...(step.statement.match(DECIMALS) ?? []),
    ]) {
      assert.ok(text.includes(v), `"${v}" in "${step.statement}" is in the cited packet`);
    }
  }
}

test('halolux narrate - each stage of a clip becomes one step citing its own packet', () => {
  const s = clipStory();
  const e = valid(explain(subject, s.packets));
  assert.equal(
    e.chain.map((c) => [c.step, c.stardust_ids]),
    [
      ['ingest', [s.scrape.stardust_id]],
      ['ingest', [s.raw.stardust_id]],
      ['ingest', [s.asset.stardust_id]],
      ['analysis', [s.analyze.stardust_id]],
      ['analysis', [s.analysis.stardust_id]],
      ['vote', [s.votes.stardust_id]],
      ['promotion', [s.promotion.stardust_id]],
      ['edit', [s.edit.stardust_id]],
      ['edit', [s.rendered.stardust_id]],
      ['metadata', [s.metadata.stardust_id]],
      ['schedule', [s.order.stardust_id]],
      ['schedule', [s.slot.stardust_id]],
    ],
  );
  const vote = e.chain[5]?.statement;
  assert.is(
    vote,
    'Pantheon ranked 12.5–41 s first with score 0.8 (consensus 0.9; dissent: none) among 3 candidates; external_llm disabled',
  );
  assert.match(
    e.chain[6]?.statement ?? '',
    `Zenith promoted candidate 0 (12.5–41 s) of video ${VIDEO} to clip ${CLIP} with score 0.8, topic sourdough: Pantheon ranked it first`,
  );
  assert.match(
    e.chain[8]?.statement ?? '',
    '28.5 s, 1080x1920, center reframe, 9 caption cues, loudness target -14 LUFS',
  );
  assert.match(
    e.chain[11]?.statement ?? '',
    `scheduler scheduled clip ${CLIP} on channel bakery-main for 2026-02-02T18:00:00Z`,
  );
  assert.equal(e.trace_ids, [TRACE]);
  assert.is(e.cached, false);
  assertGrounded(e, s.packets);
});

test('halolux narrate - the narrative tells chain statements only, one outcome per stage', () => {
  const s = clipStory();
  const e = explain(subject, s.packets);
  const statement = (p: StardustPacket) =>
    e.chain.find((c) => c.stardust_ids[0] === p.stardust_id)?.statement ?? '';
  const told = [s.asset, s.analysis, s.votes, s.promotion, s.rendered, s.metadata, s.slot].map(
    statement,
  );
  const sentences = told.map((t, i) =>
    i === 0 ? `${t.charAt(0).toUpperCase()}${t.slice(1)}.` : `Then ${t}.`,
  );
  assert.is(e.narrative, sentences.join(' '));
  // While a stage has only its order, the order is what the narrative tells.
  const pending = explain(
    subject,
    s.packets.filter((p) => p !== s.rendered),
  );
  assert.ok(pending.narrative.includes(`Then ${statement(s.edit)}.`));
});

test('halolux narrate - alternatives list the ranked losers and the replaced metadata', () => {
  const s = clipStory();
  const e = explain(subject, s.packets);
  assert.equal(e.alternatives, [
    {
      what: 'candidate 1 (95–118.25 s)',
      why_lost:
        'ranked 2nd of 3 with score 0.61 (consensus 0.7; dissent: risk_guard), behind 12.5–41 s at score 0.8',
      stardust_ids: [s.votes.stardust_id],
    },
    {
      what: 'candidate 2 (200–230 s)',
      why_lost:
        'ranked 3rd of 3 with score 0.4 (consensus 0.55; dissent: none), behind 12.5–41 s at score 0.8',
      stardust_ids: [s.votes.stardust_id],
    },
    {
      what: 'description "One overnight step changes everything."',
      why_lost:
        'chorus changed it to "One overnight step changes everything. #ad": required disclosure #ad',
      stardust_ids: [s.metadata.stardust_id],
    },
  ]);
});

test('halolux narrate - a candidate ranked above the promoted one lost to the promotion, citing it', () => {
  const s = clipStory(1);
  const e = explain(subject, s.packets);
  const first = e.alternatives.find((a) => a.what.startsWith('candidate 0'));
  assert.equal(first, {
    what: 'candidate 0 (12.5–41 s)',
    why_lost:
      'ranked 1st of 3 with score 0.8 (consensus 0.9; dissent: none), above 95–118.25 s, which zenith promoted instead',
    stardust_ids: [s.votes.stardust_id, s.promotion.stardust_id],
  });
  assert.not.ok(
    e.alternatives.some((a) => a.what.startsWith('candidate 1')),
    'the promoted one did not lose',
  );
  assert.match(
    e.alternatives.find((a) => a.what.startsWith('candidate 2'))?.why_lost ?? '',
    'behind 95–118.25 s at score 0.61',
  );
});

test('halolux narrate - completeness is the share of stages present; missing names the rest', () => {
  const s = clipStory();
  const e = explain(subject, s.packets);
  assert.is(e.completeness, 0.875);
  assert.equal(e.missing, ['publish: no PublishOrder or PublishReceipt recorded']);
  const ordered = explain(subject, [...s.packets.filter((p) => p !== s.rendered && p !== s.slot)]);
  assert.is(ordered.completeness, 0.625);
  assert.equal(ordered.missing, [
    'edit: EditOrder recorded, no ClipRendered yet',
    'schedule: ScheduleOrder recorded, no ScheduleChange yet',
    'publish: no PublishOrder or PublishReceipt recorded',
  ]);
});

test('halolux narrate - without its body a step says only what the packet has', () => {
  const s = clipStory();
  const packets = s.packets.map((p) => (p === s.analysis || p === s.votes ? bodiless(p) : p));
  const e = valid(explain(subject, packets));
  const analysis = e.chain[4];
  assert.is(
    analysis?.statement,
    `analyzer published AnalysisReport (analysis_ready) about job ${example('AnalysisReport').job_id}`,
  );
  assert.equal(analysis?.stardust_ids, [s.analysis.stardust_id]);
  const vote = e.chain[5]?.statement ?? '';
  assert.not.match(vote, /0\.8|12\.5|ranked|consensus/);
  assert.match(vote, /^pantheon published VoteReport \(votes\) about /);
  // Still present as stages (the packets exist), and the gap is surfaced.
  assert.is(e.completeness, 0.875);
  assert.ok(
    e.missing.some((m) =>
      m.startsWith(`analysis: AnalysisReport ${s.analysis.stardust_id} carries no body`),
    ),
  );
  assert.ok(
    e.missing.some((m) => m.startsWith(`vote: VoteReport ${s.votes.stardust_id} carries no body`)),
  );
  // No body, no losers: nothing to say why they lost.
  assert.not.ok(e.alternatives.some((a) => a.what.startsWith('candidate')));
  assertGrounded(e, packets);
});

test('halolux narrate - a body missing a field drops that phrase, not the step', () => {
  const s = clipStory();
  const body = { ...example('ClipRendered'), edit_summary: { width: 1080, height: 1920 } };
  const { render_ms: _r, ...lean } = body;
  const rendered = { ...s.rendered, payload: { ...s.rendered.payload, body: lean } };
  const e = explain(
    subject,
    s.packets.map((p) => (p === s.rendered ? rendered : p)),
  );
  assert.is(e.chain[8]?.statement, `editor rendered clip ${CLIP}: 1080x1920`);
});

test('halolux narrate - unknown types and untyped packets become generic steps, still cited', () => {
  const ready = packet(
    subjects.adv(SITE, 'eclipse', 'readiness'),
    'InstanceReadiness',
    { ...example('InstanceReadiness'), video_id: VIDEO },
    'eclipse',
  );
  const raw = {
    ...packet(subjects.adv(SITE, 'lattice', 'priorities'), 'LatticeHints', {}, 'ops'),
    payload: { note: 'x' },
  };
  const e = valid(explain({ type: 'trace', id: TRACE }, [ready, raw]));
  assert.equal(e.chain[0], {
    step: 'readiness',
    statement: `eclipse published InstanceReadiness (readiness) about video ${VIDEO}`,
    stardust_ids: [ready.stardust_id],
  });
  assert.equal(e.chain[1], {
    step: 'advice',
    statement: `ops recorded a packet of kind advice (ref ${raw.ref})`,
    stardust_ids: [raw.stardust_id],
  });
  // Unknown types are not missing evidence: nothing was expected of them.
  assert.equal(e.missing, [
    'order: no command or WorkRequest recorded',
    'outcome: no result event or final WorkerStatus recorded',
  ]);
});

test('halolux narrate - the advice that steers Zenith: Lattice priorities and Horizon guidance', () => {
  const hints = packet(
    subjects.adv(SITE, 'lattice', 'priorities'),
    'LatticeHints',
    example('LatticeHints'),
    'lattice',
  );
  const guidance = packet(
    subjects.adv(SITE, 'horizon', 'guidance'),
    'HorizonGuidance',
    example('HorizonGuidance'),
    'horizon',
  );
  const e = valid(explain({ type: 'trace', id: TRACE }, [hints, guidance]));
  assert.equal(
    e.chain.map((c) => [c.step, c.statement]),
    [
      [
        'routing',
        `Lattice set priorities for 1 candidate of video ${VIDEO} (routing 42): new candidates; topic sourdough below its target share`,
      ],
      [
        'guidance',
        'Horizon set guidance for 2026-W06: topic weights pastry -0.2, sourdough 0.3; 3 posts per day; drift: pastry is 60 % of output against a 30 % target',
      ],
    ],
  );
  assertGrounded(e, [hints, guidance]);
});

test('halolux narrate - deterministic: same packets in any order give the same explanation', () => {
  const s = clipStory();
  const a = explain(subject, s.packets);
  const b = explain(subject, [...s.packets].reverse());
  const c = explain(subject, [...s.packets.slice(6), ...s.packets.slice(0, 6), s.votes]);
  assert.equal(b, a);
  assert.equal(c, a);
  assert.equal(explain(subject, s.packets), a);
});

test('halolux narrate - parents come before children even when a clock ran behind', () => {
  const parent = packet(
    subjects.cmd(SITE, 'editor'),
    'EditOrder',
    example('EditOrder'),
    'zenith',
    [],
    '2026-02-01T09:00:05Z',
  );
  const child = packet(
    subjects.evt(SITE, 'editor', 'clip_rendered'),
    'ClipRendered',
    example('ClipRendered'),
    'editor',
    [parent],
    '2026-02-01T09:00:01Z',
  );
  assert.equal(
    orderStory([child, parent]).map((p) => p.stardust_id),
    [parent.stardust_id, child.stardust_id],
  );
});

test('halolux narrate - asOf leaves out what was recorded later', () => {
  const s = clipStory();
  const e = explain(subject, s.packets, new Date(Date.parse(s.metadata.recorded_at)));
  assert.is(e.chain.at(-1)?.stardust_ids[0], s.metadata.stardust_id);
  assert.ok(e.missing.includes('schedule: no ScheduleOrder or ScheduleChange recorded'));
});

test('halolux narrate - arbitrations list what they rejected, citing the rejected packet when held', () => {
  const jobKey = example('RecoveryPlan').job_key;
  const plan = packet(
    subjects.adv(SITE, 'eclipse', 'recovery'),
    'RecoveryPlan',
    example('RecoveryPlan'),
    'eclipse',
  );
  const msgId = (plan.payload as { msg_id: string }).msg_id;
  const arbitration = {
    ...example('Arbitration'),
    decision: 'abandon' as const,
    accepted: [{ module: 'paradox', ref: 'report-1' }],
    rejected: [{ module: 'eclipse', ref: msgId, why: 'the operator cancelled the job' }],
    reason: 'operator cancel wins over a reroute',
  };
  const arb = packet(
    subjects.adv(SITE, 'zenith', 'arbitration'),
    'Arbitration',
    arbitration,
    'zenith',
    [plan],
  );
  const e = valid(explain({ type: 'job', id: jobKey }, [arb, plan]));
  assert.equal(e.alternatives, [
    {
      what: `eclipse advice ${msgId}`,
      why_lost: 'rejected by zenith deciding "abandon": the operator cancelled the job',
      stardust_ids: [arb.stardust_id, plan.stardust_id],
    },
  ]);
  assert.is(
    e.chain[1]?.statement,
    `Zenith decided "abandon" for job ${jobKey} on editor/gpu-2, accepting advice from paradox: operator cancel wins over a reroute`,
  );
});

test('halolux narrate - a job outside the pipeline: ordered, and ended or not', () => {
  const status = { ...example('WorkerStatus'), status: 'DONE' as const };
  const job = { type: 'job', id: status.job_id } as const;
  const request = packet(
    subjects.adv(SITE, 'pantheon', 'work_request'),
    'WorkRequest',
    { ...example('WorkRequest'), job_key: status.job_id },
    'pantheon',
  );
  const running = packet(
    subjects.evt(SITE, 'scraper', 'status'),
    'WorkerStatus',
    example('WorkerStatus'),
    'scraper',
    [request],
  );
  const open = explain(job, [request, running]);
  assert.is(open.completeness, 0.5);
  assert.equal(open.missing, ['outcome: no result event or final WorkerStatus recorded']);
  const done = packet(subjects.evt(SITE, 'scraper', 'status'), 'WorkerStatus', status, 'scraper', [
    running,
  ]);
  const e = explain(job, [request, running, done]);
  assert.is(e.completeness, 1);
  assert.equal(e.missing, []);
  // Progress reports stay in the chain but out of the narrative.
  assert.is(e.chain.length, 3);
  assert.not.match(e.narrative, /RUNNING/);
  assert.match(e.narrative, /reported job 6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6 DONE/);
});

test('halolux narrate - a video: its four stages, and each clip made of it told once', () => {
  const s = clipStory();
  const other = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
  const edit = packet(
    subjects.cmd(SITE, 'editor'),
    'EditOrder',
    { ...example('EditOrder'), job: { ...example('EditOrder').job, clip_id: other } },
    'zenith',
    [s.votes],
  );
  const rendered = packet(
    subjects.evt(SITE, 'editor', 'clip_rendered'),
    'ClipRendered',
    { ...example('ClipRendered'), clip_id: other },
    'editor',
    [edit],
  );
  const e = valid(explain({ type: 'video', id: VIDEO }, [...s.packets, edit, rendered]));
  assert.is(e.completeness, 1);
  assert.equal(e.missing, []);
  assert.ok(e.narrative.includes(`editor rendered clip ${CLIP}:`));
  assert.ok(e.narrative.includes(`editor rendered clip ${other}:`));
  assert.not.ok(
    e.narrative.includes('ordered the edit'),
    'orders with an outcome are left to the chain',
  );
});

test('halolux narrate - nothing recorded: completeness 0 and a valid, empty explanation', () => {
  const e = valid(explain(subject, []));
  assert.is(e.completeness, 0);
  assert.equal(e.chain, []);
  assert.is(e.narrative, `No Stardust packet names clip ${CLIP}.`);
  assert.is(e.missing[0], `no Stardust packet names clip ${CLIP}`);
  assert.is(e.missing.length, 9);
});

test.run();
