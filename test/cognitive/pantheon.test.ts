// Pantheon on its own (design §10: machine tests are pure): personas, the tally and the machine,
// with events shaped as the runtime delivers them, a fixed clock, every emit checked against
// its contract. The external voter's answer is handed in as the runtime would (effect.done /
// effect.failed); the real HTTP exchange is in pantheon-external.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  ASK_EXTERNAL,
  explorer,
  hookHunter,
  PANTHEON_VERSION,
  type PantheonOptions,
  type PersonaInput,
  pantheonMachine,
  parseVotes,
  reportId,
  riskGuard,
  tally,
  trendChaser,
  type VoteRow,
} from '../../actors/cognitive/pantheon/index.ts';
import {
  type AnalysisReport,
  deriveMsgId,
  formatViolation,
  type VoteReport,
  validateContract,
} from '../../protocols/index.ts';
import type { EffectEmit, PublishEmit, RuntimeEmit } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
const uuid = (seed: string) => deriveMsgId(seed, 0);
const CALM = { loudness_lufs: -18, loudness_delta: 0, words_per_s: 2.8, silence_ratio: 0.05 };

const input = (p: Partial<PersonaInput> = {}): PersonaInput => ({
  start_time: 10,
  end_time: 40,
  tags: [],
  features: CALM,
  topic_weights: {},
  guided: false,
  ...p,
});

type Cand = { start: number; end: number; tags?: string[]; features?: Record<string, number> };

/** A valid AnalysisReport with the given candidates (features index-aligned). */
function analysis(cands: Cand[], job = uuid('job-1')): AnalysisReport {
  const base = example('AnalysisReport');
  const report: AnalysisReport = {
    ...base,
    job_id: job,
    result: {
      ...base.result,
      clip_candidates: cands.map((c) => ({
        ...(base.result.clip_candidates[0] as AnalysisReport['result']['clip_candidates'][number]),
        start_time: c.start,
        end_time: c.end,
        semantic_tags: c.tags ?? [],
      })),
    },
    candidate_features: cands.map((c) => ({
      start_time: c.start,
      end_time: c.end,
      features: { duration_s: c.end - c.start, ...(c.features ?? CALM) },
      scores: {},
    })),
  };
  assert.ok(validateContract('AnalysisReport', report).ok, 'test input is a valid AnalysisReport');
  return report;
}

const meta = (seed: string) => ({
  msg_id: uuid(`msg|${seed}`),
  trace_id: uuid(`trace|${seed}`),
  site_id: 'test',
  _meta_parents: [],
  emitted_at: new Date(NOW).toISOString(),
  stardust_id: uuid(`stardust|${seed}`),
});

const reportEvent = (payload: AnalysisReport, seed = 'analysis') =>
  ({ type: 'AnalysisReport', payload, meta: meta(seed), now: NOW }) as never;

const guidanceEvent = (topic_weights: Record<string, number>, seed = 'guidance') =>
  ({
    type: 'HorizonGuidance',
    payload: {
      guidance_id: uuid(`guidance|${seed}`),
      goal_window: '2026-W48',
      topic_weights,
      slot_weights: [],
      drift: [],
    },
    meta: meta(seed),
    now: NOW,
  }) as never;

function start(o: PantheonOptions = {}) {
  const actor = createActor(pantheonMachine(o));
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => void out.push(e as RuntimeEmit));
  actor.start();
  const send = (event: never): RuntimeEmit[] => {
    const from = out.length;
    actor.send(event);
    const got = out.slice(from);
    for (const e of got) {
      if (e.type !== 'omniva.publish') continue;
      const v = validateContract(e.contract, e.payload);
      assert.ok(v.ok, `invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation)}`);
    }
    return got;
  };
  return { send, context: () => actor.getSnapshot().context as { pending: object } };
}

const reportOf = (emits: RuntimeEmit[]): { report: VoteReport; emit: PublishEmit } => {
  const p = emits.filter((e): e is PublishEmit => e.type === 'omniva.publish');
  assert.is(p.length, 1, 'exactly one report');
  assert.is(p[0]?.name, 'votes');
  return { report: p[0]?.payload as VoteReport, emit: p[0] as PublishEmit };
};
const voteOf = (r: VoteReport, agent: string, i = 0) =>
  r.votes.find((v) => v.agent === agent && v.candidate_index === i)?.vote;

test('pantheon personas - risk_guard penalises long, silent, very loud and very fast clips', () => {
  const calm = riskGuard.vote(input());
  assert.is(calm.vote, 1, 'a calm 30 s clip carries no penalty');
  assert.match(calm.commentary, /within bounds/);
  const cases: [Partial<PersonaInput>, number, RegExp][] = [
    [{ end_time: 85 }, 1 - 0.35, /75 s long/],
    [{ features: { ...CALM, silence_ratio: 0.4 } }, 0.75, /40% silent/],
    [{ features: { ...CALM, loudness_lufs: -4 } }, 0.8, /-4 LUFS/],
    [{ features: { ...CALM, words_per_s: 5 } }, 0.8, /5 words\/s/],
  ];
  for (const [p, expected, named] of cases) {
    const b = riskGuard.vote(input(p));
    assert.is(b.vote, expected, JSON.stringify(p));
    assert.match(b.commentary, named, 'the commentary names the feature that cost');
  }
  const all = riskGuard.vote(
    input({ end_time: 85, features: { silence_ratio: 0.4, loudness_lufs: -4, words_per_s: 5 } }),
  );
  assert.is(all.vote, 0, 'every penalty at once leaves nothing');
});

test('pantheon personas - explorer rewards topics Horizon under-weights or has never named', () => {
  const weights = { sourdough: 0.8, fermentation: -0.8 };
  const v = (tag: string) =>
    explorer.vote(input({ tags: [tag], topic_weights: weights, guided: true }));
  const favoured = v('sourdough');
  const under = v('Fermentation');
  const unknown = v('kombucha');
  // novelty: (1 − 0.8)/2 = 0.1, (1 + 0.8)/2 = 0.9, unknown = 1; variety 0.5 (no scene cuts).
  assert.is(favoured.vote, 0.2);
  assert.is(under.vote, 0.8);
  assert.is(unknown.vote, 0.875);
  assert.match(under.commentary, /under-explored topics: fermentation/);
  assert.match(unknown.commentary, /kombucha \(new\)/);
  const unguided = explorer.vote(input({ tags: ['kombucha'] }));
  assert.ok(unguided.confidence < unknown.confidence, 'without guidance novelty is a guess');
  assert.ok(explorer.vote(input()).confidence < unguided.confidence, 'no tags, least sure');
});

test("pantheon personas - trend_chaser rewards Horizon's positive weights and keyword hits", () => {
  const weights = { sourdough: 0.8, fermentation: -0.6 };
  const v = (tag: string, hits: number) =>
    trendChaser.vote(
      input({
        tags: [tag],
        topic_weights: weights,
        guided: true,
        features: { keyword_hits: hits },
      }),
    );
  assert.is(v('sourdough', 0).vote, 0.54, '0.6 · (0.8 + 1) / 2');
  assert.is(v('fermentation', 0).vote, 0.12, '0.6 · (−0.6 + 1) / 2');
  assert.is(v('sourdough', 8).vote, 0.94, 'plus 0.4 for 8 keyword hits');
  assert.ok(v('sourdough', 4).vote > v('sourdough', 2).vote, 'more hits, higher vote');
  assert.match(v('sourdough', 3).commentary, /sourdough \+0\.8.*3 keyword hits/);
  assert.ok(
    trendChaser.vote(input({ tags: ['sourdough'] })).confidence < v('sourdough', 0).confidence,
    'without guidance it is unsure',
  );
});

test('pantheon personas - hook_hunter rewards an opening hook, energy and pace', () => {
  const v = (f: Record<string, number>) => hookHunter.vote(input({ features: f }));
  const best = v({ hook: 1, loudness_delta: 3, words_per_s: 2.8 });
  assert.is(best.vote, 1);
  assert.match(best.commentary, /opens on a hook/);
  // 0.45·0 + 0.3·0.5 + 0.25·0.5
  assert.is(v({ hook: 0, loudness_delta: 0, words_per_s: 1.4 }).vote, 0.275);
  assert.ok(
    v({ hook: 1, loudness_delta: 0, words_per_s: 2.8 }).vote >
      v({ hook: 0, loudness_delta: 0, words_per_s: 2.8 }).vote,
  );
  assert.ok(
    v({ hook: 0, loudness_delta: 2, words_per_s: 2.8 }).vote >
      v({ hook: 0, loudness_delta: -2, words_per_s: 2.8 }).vote,
  );
  assert.ok(
    v({ hook: 0, loudness_delta: 0, words_per_s: 2.8 }).vote >
      v({ hook: 0, loudness_delta: 0, words_per_s: 5 }).vote,
  );
});

test('pantheon personas - missing features lower confidence; ballots stay in range and rounded', () => {
  for (const p of [riskGuard, explorer, trendChaser, hookHunter]) {
    const bare = p.vote(input({ features: {}, tags: ['x'] }));
    const full = p.vote(
      input({
        features: { ...CALM, hook: 1, keyword_hits: 3, scene_cuts_per_min: 2 },
        tags: ['x'],
        topic_weights: { x: 0.5 },
        guided: true,
      }),
    );
    assert.ok(bare.confidence < full.confidence, `${p.agent}: less evidence, less confidence`);
    for (const b of [bare, full]) {
      for (const n of [b.vote, b.confidence]) {
        assert.ok(n >= 0 && n <= 1 && Math.round(n * 1000) / 1000 === n, `${p.agent}: ${n}`);
      }
      assert.ok(b.commentary.length > 0 && b.commentary.length <= 500);
    }
  }
});

const row = (
  candidate_index: number,
  agent: string,
  vote: number,
  confidence: number,
  start = 0,
): VoteRow => ({
  candidate_index,
  start_time: start,
  end_time: start + 20,
  agent,
  vote,
  confidence,
  commentary: agent,
});

test('pantheon tally - score is the confidence-weighted mean, consensus 1 − spread, dissent beyond 0.25', () => {
  const { ranking } = tally([row(0, 'a', 1, 0.75), row(0, 'b', 0, 0.25), row(0, 'c', 0.9, 0)]);
  const r = ranking[0]!;
  assert.is(r.score, 0.75, '(1·0.75 + 0·0.25 + 0.9·0) / 1');
  assert.is(r.consensus, 0, 'votes span the whole range');
  assert.equal(r.dissent, ['b'], 'a is exactly 0.25 away: not dissent; b is 0.75 away');
  const agree = tally([row(0, 'a', 0.6, 0.5), row(0, 'b', 0.7, 0.5)]).ranking[0]!;
  assert.is(agree.consensus, 0.9);
  assert.equal(agree.dissent, []);
  assert.is(
    tally([row(0, 'a', 0.2, 0), row(0, 'b', 0.6, 0)]).ranking[0]!.score,
    0.4,
    'no confidence: plain mean',
  );
});

test('pantheon tally - ranking by score then start time; votes by candidate then agent', () => {
  const rows = [
    row(2, 'b', 0.5, 1, 50),
    row(0, 'b', 0.5, 1, 10),
    row(1, 'a', 0.9, 1, 30),
    row(0, 'a', 0.5, 1, 10),
    row(2, 'a', 0.5, 1, 50),
    row(1, 'b', 0.9, 1, 30),
  ];
  const forward = tally(rows);
  const backward = tally([...rows].reverse());
  assert.equal(forward, backward, 'input order does not matter');
  assert.equal(
    forward.votes.map((v) => `${v.candidate_index}${v.agent}`),
    ['0a', '0b', '1a', '1b', '2a', '2b'],
  );
  assert.equal(
    forward.ranking.map((r) => r.candidate_index),
    [1, 0, 2],
    'tie: earlier start first',
  );
});

const THREE: Cand[] = [
  { start: 10, end: 40, tags: ['sourdough'], features: { ...CALM, hook: 1, keyword_hits: 4 } },
  { start: 60, end: 130, tags: ['kombucha'], features: { ...CALM, silence_ratio: 0.5 } },
  { start: 200, end: 225, tags: ['fermentation'], features: { ...CALM, words_per_s: 4.5 } },
];

test('pantheon - an analysis is answered at once: four personas, external disabled, cited', () => {
  const p = start();
  const { report, emit } = reportOf(p.send(reportEvent(analysis(THREE))));
  assert.equal(emit.parents, [meta('analysis').stardust_id], "cites the analysis's packet");
  assert.is(report.votes.length, 12, '4 personas × 3 candidates');
  assert.equal(
    report.voters.map((v) => `${v.agent}:${v.status}`),
    [
      'explorer:voted',
      'hook_hunter:voted',
      'risk_guard:voted',
      'trend_chaser:voted',
      'external_llm:disabled',
    ],
  );
  assert.is(report.ranking.length, 3);
  assert.is(report.ranking[0]?.candidate_index, 0, 'the hooked, calm, on-topic clip wins');
  assert.is(report.model_version, PANTHEON_VERSION);
  assert.is(report.generated_at, new Date(NOW).toISOString());
});

test('pantheon - identical inputs give identical reports; new guidance gives a new report id', () => {
  const run = (weights?: Record<string, number>) => {
    const p = start();
    if (weights) p.send(guidanceEvent(weights));
    return reportOf(p.send(reportEvent(analysis(THREE)))).report;
  };
  const a = run();
  assert.equal(run(), a, 'same inputs, same report');
  assert.is(a.report_id, reportId(uuid('job-1'), undefined, PANTHEON_VERSION));
  const guided = run({ kombucha: 1 });
  assert.equal(run({ kombucha: 1 }), guided);
  assert.is.not(guided.report_id, a.report_id);
});

test('pantheon - Horizon guidance moves the trend and explorer votes and is cited', () => {
  const p = start();
  const before = reportOf(p.send(reportEvent(analysis(THREE)))).report;
  assert.equal(
    p.send(guidanceEvent({ Kombucha: 0.9, sourdough: -0.9 })),
    [],
    'guidance is remembered, not answered',
  );
  const { report: after, emit } = reportOf(p.send(reportEvent(analysis(THREE), 'analysis-2')));
  assert.equal(emit.parents, [meta('analysis-2').stardust_id, meta('guidance').stardust_id]);
  assert.ok(
    voteOf(after, 'trend_chaser', 1)! > voteOf(before, 'trend_chaser', 1)!,
    'kombucha is wanted',
  );
  assert.ok(
    voteOf(after, 'explorer', 1)! < voteOf(before, 'explorer', 1)!,
    'kombucha is no longer new',
  );
  assert.is(
    voteOf(after, 'hook_hunter', 0),
    voteOf(before, 'hook_hunter', 0),
    'hooks ignore Horizon',
  );
});

const EXTERNAL = { base_url: 'http://127.0.0.1:9', model: 'tiny-llm', timeout_ms: 500 };

function askedFor(emits: RuntimeEmit[]): EffectEmit {
  const asks = emits.filter((e): e is EffectEmit => e.type === 'omniva.effect');
  assert.is(asks.length, 1);
  assert.is(asks[0]?.name, ASK_EXTERNAL);
  assert.not.ok(
    emits.some((e) => e.type === 'omniva.publish'),
    'nothing is published before it answers',
  );
  return asks[0]!;
}

test('pantheon - with an external voter the report waits for its answer and includes its votes', () => {
  const p = start({ external: EXTERNAL });
  const ask = askedFor(p.send(reportEvent(analysis(THREE))));
  const req = ask.input as { candidates: { candidate_index: number; tags: string[] }[] };
  assert.equal(
    req.candidates.map((c) => c.candidate_index),
    [0, 1, 2],
  );
  assert.equal(req.candidates[1]?.tags, ['kombucha']);
  const output = {
    status: 'voted',
    votes: [
      { candidate_index: 2, vote: 1, confidence: 1, commentary: 'model: great' },
      { candidate_index: 7, vote: 1, confidence: 1, commentary: 'no such candidate' },
    ],
    detail: 'tiny-llm voted on 1 of 3 candidates',
  };
  const { report } = reportOf(
    p.send({ type: 'effect.done', id: ask.id, name: ASK_EXTERNAL, output, now: NOW } as never),
  );
  assert.equal(
    report.votes.filter((v) => v.agent === 'external_llm').map((v) => v.candidate_index),
    [2],
  );
  assert.equal(report.voters.at(-1), {
    agent: 'external_llm',
    status: 'voted',
    detail: output.detail,
  });
  assert.is(report.model_version, `${PANTHEON_VERSION}+tiny-llm`);
  assert.equal(p.context().pending, {}, 'nothing is left pending');
});

test('pantheon - a failed or timed-out external voter still yields the four personas', () => {
  const outcomes = [
    {
      type: 'effect.done',
      output: { status: 'timeout', detail: 'no reply within 500 ms' },
      status: 'timeout',
    },
    { type: 'effect.done', output: { status: 'failed', detail: 'ECONNREFUSED' }, status: 'failed' },
    { type: 'effect.done', output: 'garbage', status: 'failed' },
    {
      type: 'effect.failed',
      error: { code: 'X', message: 'boom', retryable: false },
      status: 'failed',
    },
  ];
  for (const { status, ...event } of outcomes) {
    const p = start({ external: EXTERNAL });
    const ask = askedFor(p.send(reportEvent(analysis(THREE))));
    const { report } = reportOf(
      p.send({ ...event, id: ask.id, name: ASK_EXTERNAL, now: NOW } as never),
    );
    assert.is(report.voters.at(-1)?.status, status, JSON.stringify(event));
    assert.is(report.votes.length, 12, 'the personas voted regardless');
    assert.not.ok(report.votes.some((v) => v.agent === 'external_llm'));
  }
});

test('pantheon - an analysis without candidates gets an empty report and no external call', () => {
  const p = start({ external: EXTERNAL });
  const { report } = reportOf(p.send(reportEvent(analysis([]))));
  assert.equal([report.votes, report.ranking], [[], []]);
  assert.is(report.voters.at(-1)?.status, 'disabled');
});

test('pantheon - features are matched to candidates by time when the lists disagree', () => {
  const a = analysis(THREE);
  const swapped = { ...a, candidate_features: [...a.candidate_features].reverse() };
  const p = start();
  const straight = reportOf(p.send(reportEvent(a))).report;
  const matched = reportOf(start().send(reportEvent(swapped))).report;
  assert.equal(matched.votes, straight.votes);
});

test('pantheon external - replies are parsed defensively', () => {
  const reply = (content: unknown) => ({ choices: [{ message: { content } }] });
  const fenced = parseVotes(
    reply(
      'Sure!\n```json\n[{"candidate_index":1,"vote":1.7,"confidence":0.4,"commentary":"loud\\u0007 and clear"}]\n```',
    ),
    [0, 1],
  );
  assert.ok(fenced.ok);
  assert.equal(fenced.ok && fenced.votes, [
    { candidate_index: 1, vote: 1, confidence: 0.4, commentary: 'model: loud and clear' },
  ]);
  const wrapped = parseVotes(
    reply(
      JSON.stringify({
        votes: [
          { candidate_index: 0, vote: 0.33333 },
          { candidate_index: 0, vote: 0.9 },
          { candidate_index: 5, vote: 1 },
          { candidate_index: 1, vote: 'high' },
        ],
      }),
    ),
    [0, 1],
  );
  assert.ok(wrapped.ok);
  assert.equal(wrapped.ok && wrapped.votes.map((v) => [v.candidate_index, v.vote, v.confidence]), [
    [0, 0.333, 0.5],
  ]);
  assert.is(wrapped.ok && wrapped.dropped, 3);
  assert.not.ok(parseVotes(reply('I like the second one.'), [0]).ok);
  assert.not.ok(parseVotes(reply('[]'), [0]).ok);
  assert.not.ok(parseVotes({ error: 'overloaded' }, [0]).ok);
  const long = parseVotes(
    reply(JSON.stringify([{ candidate_index: 0, vote: 1, commentary: 'x'.repeat(900) }])),
    [0],
  );
  assert.ok(long.ok && long.votes[0]!.commentary.length <= 500);
});

test.run();
