// Lattice's machine on its own (design §10: machine tests are pure): runtime-shaped events, a
// simulated clock passed as `now`, timers fired by hand, every emitted message contract-checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  DEFAULT_LATTICE,
  type LatticeOptions,
  latticeKind,
  latticeMachine,
  resolveLattice,
  targetShare,
} from '../../actors/cognitive/lattice/index.ts';
import {
  type AnalysisReport,
  type ContractName,
  type ContractType,
  deriveMsgId,
  formatViolation,
  type LatticeHints,
  subjects,
  validateContract,
  type WorkerStatus,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit, TimerSetEmit } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';

const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const MIN = 60_000;
const uuid = (seed: string) => deriveMsgId(seed, 0);
let seq = 0;

function message<N extends ContractName>(
  type: N,
  payload: ContractType<N>,
  now = T0,
): MessageEvent<N> {
  const v = validateContract(type, payload);
  assert.ok(
    v.ok,
    `test input must be a valid ${type}: ${v.ok ? '' : v.violations.map(formatViolation)}`,
  );
  const seed = `${type}|${seq++}`;
  return {
    type,
    payload,
    meta: {
      msg_id: uuid(`msg|${seed}`),
      trace_id: uuid(`trace|${seed}`),
      site_id: 'site-a',
      _meta_parents: [],
      emitted_at: new Date(now).toISOString(),
      stardust_id: uuid(`packet|${seed}`),
    },
    now,
  };
}

/** An analysis of one video whose candidates carry the given (confidence, first tag). */
function analysis(video: string, cands: [number, string | undefined][], now = T0) {
  const a: AnalysisReport = example('AnalysisReport');
  const base = a.result.clip_candidates[0] as AnalysisReport['result']['clip_candidates'][number];
  a.result.video_id = video;
  a.job_id = uuid(`analysis|${video}`);
  a.result.keywords_detected = [];
  a.result.clip_candidates = cands.map(([confidence, tag], i) => ({
    ...base,
    start_time: i * 60,
    end_time: i * 60 + 30,
    confidence,
    semantic_tags: tag ? [tag] : [],
  }));
  a.candidate_features = [];
  return message('AnalysisReport', a, now);
}

function promotion(topic: string, clip = uuid(`clip|${topic}|${seq}`)) {
  const p = example('ClipPromotion');
  p.clip_id = clip;
  p.topic = topic;
  return message('ClipPromotion', p);
}

function status(worker: string, job: string, s: WorkerStatus['status'], now = T0) {
  return message(
    'WorkerStatus',
    {
      job_id: uuid(job),
      worker,
      instance_id: `${worker}-1`,
      status: s,
      updated_at: new Date(now).toISOString(),
      ...(s === 'ERROR' ? { error: { code: 'internal', message: 'x', retryable: false } } : {}),
    } as WorkerStatus,
    now,
  );
}

function start(o: Partial<LatticeOptions> = {}) {
  const actor = createActor(latticeMachine(o));
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  const run = (event: unknown) => {
    const from = out.length;
    actor.send(event as Parameters<typeof actor.send>[0]);
    const got = out.slice(from);
    for (const e of got) {
      if (e.type !== 'omniva.publish') continue;
      const v = validateContract(e.contract, e.payload);
      assert.ok(
        v.ok,
        `invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`,
      );
    }
    return got;
  };
  return {
    out,
    send: (e: MessageEvent) => run(e),
    fire: (t: TimerSetEmit) => run({ ...t.event, now: t.at }),
    context: () => actor.getSnapshot().context,
  };
}

const hints = (es: RuntimeEmit[]) =>
  es
    .filter((e): e is PublishEmit => e.type === 'omniva.publish')
    .map((e) => {
      assert.is(e.name, 'priorities');
      assert.is(e.channel, 'adv');
      assert.is(e.contract, 'LatticeHints');
      return e.payload as LatticeHints;
    });
const timers = (es: RuntimeEmit[]) =>
  es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');

const V1 = uuid('video-1');

// ---- priorities ----------------------------------------------------------------------------

test('lattice - before any promotion, candidates keep their confidence as priority', () => {
  const l = start();
  const ev = analysis(V1, [
    [0.8, 'sourdough'],
    [0.5, undefined],
  ]);
  const out = l.send(ev);
  assert.equal(hints(out), [
    {
      routing_sequence: 1,
      video_id: V1,
      candidates: [
        {
          candidate_index: 0,
          start_time: 0,
          end_time: 30,
          priority: 0.8,
          priority_delta: 0,
          topic: 'sourdough',
          note: 'no promoted clips yet',
        },
        {
          candidate_index: 1,
          start_time: 60,
          end_time: 90,
          priority: 0.5,
          priority_delta: 0,
          topic: 'general',
          note: 'no promoted clips yet',
        },
      ],
      routing: [],
      queue_depth: {},
      reason: `2 new candidates of video ${V1}: 0 boosted, 0 dampened by the topic mix`,
    },
  ]);
  const pub = out.find((e): e is PublishEmit => e.type === 'omniva.publish');
  assert.equal(pub?.parents, [ev.meta.stardust_id], 'cites the analysis');
});

test('lattice - an underrepresented topic is boosted and an over-represented one dampened', () => {
  const l = start({ topic_targets: { sourdough: 0.5, pastry: 0.3 } });
  for (const t of ['pastry', 'pastry', 'pastry', 'sourdough']) l.send(promotion(t));
  // sourdough: 25 % against 50 % → +0.125; pastry: 75 % against 30 % → −0.225; bread is
  // unlisted: the remaining 20 % of the mix, 0 % so far → +0.1.
  const [h] = hints(
    l.send(
      analysis(V1, [
        [0.6, 'sourdough'],
        [0.6, 'pastry'],
        [0.6, 'bread'],
      ]),
    ),
  );
  assert.equal(
    h?.candidates.map((c) => [c.topic, c.priority, c.priority_delta]),
    [
      ['sourdough', 0.725, 0.125],
      ['pastry', 0.375, -0.225],
      ['bread', 0.7, 0.1],
    ],
  );
  assert.is(
    h?.candidates[0]?.note,
    'sourdough is 25 % of 4 promoted clips against 50 %, underrepresented: boosted',
  );
  assert.is(
    h?.candidates[1]?.note,
    'pastry is 75 % of 4 promoted clips against 30 %, over-represented: dampened',
  );
  assert.match(h?.reason ?? '', /2 boosted, 1 dampened/);
});

test('lattice - without targets every topic seen gets an equal share', () => {
  assert.is(targetShare({}, 'a', ['a', 'b', 'c', 'd']), 0.25);
  assert.is(targetShare({}, 'new', ['a']), 0.5, 'the new topic counts as seen');
  assert.is(targetShare({ topic_targets: { a: 0.6 } }, 'b', ['a', 'b', 'c']), 0.2);
  const l = start();
  for (const t of ['a', 'a', 'a', 'b']) l.send(promotion(t));
  const [h] = hints(
    l.send(
      analysis(V1, [
        [0.5, 'a'],
        [0.5, 'b'],
      ]),
    ),
  );
  // a: 75 % vs 50 % → −0.125; b: 25 % vs 50 % → +0.125.
  assert.equal(
    h?.candidates.map((c) => c.priority_delta),
    [-0.125, 0.125],
  );
});

test('lattice - a delta is capped, the priority stays in 0..1 and the delta reported is what applied', () => {
  const l = start({ topic_targets: { rare: 1 } });
  for (let i = 0; i < 5; i++) l.send(promotion('common'));
  const [h] = hints(
    l.send(
      analysis(V1, [
        [0.9, 'rare'],
        [0.1, 'common'],
      ]),
    ),
  );
  const [rare, common] = h?.candidates ?? [];
  assert.is(rare?.priority, 1, '0.9 + 0.25 capped at 1');
  assert.is(rare?.priority_delta, 0.1, 'what applied, so priority = confidence + delta');
  assert.is(common?.priority, 0, 'target 0, share 100 %: −0.25 from 0.1, floored at 0');
  assert.is(common?.priority_delta, -0.1);
});

test('lattice - a repeated promotion is counted once; Horizon’s weight nudges the priority', () => {
  const l = start();
  const p = promotion('a', uuid('same-clip'));
  l.send(p);
  l.send({ ...p, meta: { ...p.meta, msg_id: uuid('another-msg') } });
  assert.equal(l.context().promoted, { a: 1 });
  const g = example('HorizonGuidance');
  g.topic_weights = { b: 0.5, a: -1 };
  l.send(message('HorizonGuidance', g));
  const [h] = hints(
    l.send(
      analysis(V1, [
        [0.5, 'a'],
        [0.5, 'b'],
      ]),
    ),
  );
  // a: 100 % vs 50 % → −0.25, Horizon −0.1; b: 0 % vs 50 % → +0.25, Horizon +0.05.
  assert.equal(
    h?.candidates.map((c) => c.priority_delta),
    [-0.35, 0.3],
  );
  assert.match(h?.candidates[1]?.note ?? '', /Horizon weight \+0\.5$/);
});

// ---- queue depth and backlog crossings -----------------------------------------------------

test('lattice - queue depth counts jobs from PENDING/RUNNING until DONE, ERROR, CANCELLED or SKIPPED', () => {
  const l = start({ max_queue_depth: 10 });
  for (const j of ['j1', 'j2', 'j3', 'j4', 'j5']) l.send(status('editor', j, 'RUNNING'));
  l.send(status('editor', 'j1', 'RUNNING')); // progress on a job already counted
  l.send(status('analyzer', 'k1', 'PENDING'));
  l.send(status('editor', 'j1', 'DONE'));
  l.send(status('editor', 'j2', 'ERROR'));
  l.send(status('editor', 'j3', 'CANCELLED'));
  l.send(status('analyzer', 'k1', 'SKIPPED'));
  const [h] = hints(l.send(analysis(V1, [[0.5, 'a']])));
  assert.equal(h?.queue_depth, { analyzer: 0, editor: 2 });
  assert.equal(h?.routing, [
    { worker: 'analyzer', hint: 'accept work: 0 of 10 jobs in flight' },
    { worker: 'editor', hint: 'accept work: 2 of 10 jobs in flight' },
  ]);
});

test('lattice - reaching the bound is a crossing: hold once, and accept again once below', () => {
  const l = start({ max_queue_depth: 3 });
  assert.equal(hints(l.send(status('editor', 'j1', 'RUNNING'))), []);
  assert.equal(hints(l.send(status('editor', 'j2', 'RUNNING'))), []);
  const ev = status('editor', 'j3', 'RUNNING');
  const out = l.send(ev);
  assert.equal(hints(out), [
    {
      routing_sequence: 1,
      candidates: [],
      routing: [{ worker: 'editor', hint: 'hold new work: 3 jobs in flight, bound 3' }],
      queue_depth: { editor: 3 },
      reason: 'backlog crossing: editor at 3 jobs in flight (bound 3): hold new work',
    },
  ]);
  assert.equal((out.find((e) => e.type === 'omniva.publish') as PublishEmit).parents, [
    ev.meta.stardust_id,
  ]);
  assert.equal(
    hints(l.send(status('editor', 'j4', 'RUNNING'))),
    [],
    'still above: no new crossing',
  );
  assert.equal(
    hints(l.send(status('editor', 'j1', 'DONE'))),
    [],
    '3 in flight: still at the bound',
  );
  const [released] = hints(l.send(status('editor', 'j2', 'DONE')));
  assert.is(released?.routing_sequence, 2);
  assert.equal(released?.routing, [
    { worker: 'editor', hint: 'accept work: 2 of 3 jobs in flight' },
  ]);
  assert.is(
    released?.reason,
    'backlog cleared: editor down to 2 jobs in flight (bound 3): accept work again',
  );
  assert.equal(l.context().held, []);
});

test('lattice - routing_sequence strictly increases across every hint published', () => {
  const l = start({ max_queue_depth: 1 });
  const t = timers(l.send(analysis(V1, [[0.5, 'a']])))[0] as TimerSetEmit;
  l.send(status('editor', 'j1', 'RUNNING'));
  l.send(analysis(uuid('video-2'), [[0.5, 'b']]));
  l.send(status('editor', 'j1', 'DONE'));
  l.fire(t);
  const seqs = hints(l.out).map((h) => h.routing_sequence);
  assert.equal(seqs, [1, 2, 3, 4, 5]);
  assert.is(l.context().seq, 5, 'kept in the context, so it survives a restart');
});

// ---- recalibration -------------------------------------------------------------------------

test('lattice - every 10 minutes the current hints are republished and the timer re-armed', () => {
  const l = start({ max_queue_depth: 2 });
  const armed = timers(l.send(status('editor', 'j1', 'RUNNING', T0 + 7)));
  assert.equal(armed, [
    {
      type: 'omniva.timer.set',
      id: 'recalibrate',
      at: T0 + 7 + 10 * MIN,
      event: { type: 'recalibrate' },
    },
  ]);
  assert.equal(timers(l.send(status('editor', 'j2', 'RUNNING', T0 + 8))), [], 'armed once');
  const out = l.fire(armed[0] as TimerSetEmit);
  assert.equal(hints(out), [
    {
      routing_sequence: 2,
      candidates: [],
      routing: [{ worker: 'editor', hint: 'hold new work: 2 jobs in flight, bound 2' }],
      queue_depth: { editor: 2 },
      reason: 'recalibration: 1 workers, 1 held',
    },
  ]);
  assert.equal(
    timers(out).map((t) => t.at),
    [T0 + 7 + 20 * MIN],
  );
});

test('lattice - recalibration drops jobs silent past stale_ms, which may release a held worker', () => {
  const l = start({ max_queue_depth: 2, stale_ms: 15 * MIN });
  const armed = timers(l.send(status('editor', 'j1', 'RUNNING', T0)))[0] as TimerSetEmit;
  l.send(status('editor', 'j2', 'RUNNING', T0 + 9 * MIN));
  assert.equal(l.context().held, ['editor']);
  const first = l.fire(armed);
  assert.is(hints(first)[0]?.queue_depth.editor, 2, 'at 10 min nothing is stale yet');
  const second = l.fire(timers(first)[0] as TimerSetEmit);
  const [h] = hints(second);
  assert.equal(h?.queue_depth, { editor: 1 }, 'j1 silent for 20 min is dropped');
  assert.equal(h?.routing, [{ worker: 'editor', hint: 'accept work: 1 of 2 jobs in flight' }]);
  assert.match(h?.reason ?? '', /1 jobs silent for 900000 ms dropped/);
  assert.equal(l.context().held, []);
});

// ---- options and binding -------------------------------------------------------------------

test('lattice - bad options are refused at construction', () => {
  assert.throws(() => resolveLattice({ max_queue_depth: 0 }), /max_queue_depth/);
  assert.throws(() => resolveLattice({ recalibrate_ms: -1 }), /recalibrate_ms/);
  assert.throws(() => resolveLattice({ topic_targets: { a: 0.7, b: 0.5 } }), /more than 1/);
  assert.throws(() => resolveLattice({ topic_targets: { a: 2 } }), /0\.\.1/);
  assert.equal(resolveLattice(), DEFAULT_LATTICE);
  assert.equal([DEFAULT_LATTICE.max_queue_depth, DEFAULT_LATTICE.recalibrate_ms], [8, 600_000]);
});

test('lattice - one instance reads analyses, statuses, promotions and guidance', () => {
  const kind = latticeKind();
  assert.is(kind.name, 'lattice');
  assert.is(kind.key?.({} as never), 'main');
  assert.equal(kind.work?.filter('site-a'), [
    subjects.evtAny('site-a', 'analysis_ready'),
    subjects.evtAny('site-a', 'status'),
    subjects.adv('site-a', 'zenith', 'promotion'),
    subjects.adv('site-a', 'horizon', 'guidance'),
  ]);
  assert.equal([...kind.accepts].sort(), [
    'AnalysisReport',
    'ClipPromotion',
    'HorizonGuidance',
    'WorkerStatus',
  ]);
});

test.run();
