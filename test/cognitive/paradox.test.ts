// Paradox's machine on its own (design §10: machine tests are pure). Events are shaped as the
// runtime delivers them, time is a simulated clock passed as `now`, timers are fired by hand at
// their deadline, and every emitted message must pass its contract.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  DEFAULT_PARADOX,
  findCycle,
  type ParadoxOptions,
  paradoxKind,
  paradoxMachine,
  reportId,
} from '../../actors/cognitive/paradox/index.ts';
import {
  type ConflictReport,
  type ContractName,
  type ContractType,
  deriveMsgId,
  formatViolation,
  subjects,
  validateContract,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit, TimerSetEmit } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';

const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const HOUR = 3_600_000;
const uuid = (seed: string) => deriveMsgId(seed, 0);
const hex = (c: string) => c.repeat(64);

type MetaInput = { now?: number; stardust?: string | false; parents?: string[]; actor?: string };

/** A message event as the runtime hands it over; the payload must be valid to be sent at all. */
function message<N extends ContractName>(
  type: N,
  payload: ContractType<N>,
  seed: string,
  m: MetaInput = {},
): MessageEvent<N> {
  const v = validateContract(type, payload);
  assert.ok(
    v.ok,
    `test input must be a valid ${type}: ${v.ok ? '' : v.violations.map(formatViolation)}`,
  );
  const now = m.now ?? T0;
  return {
    type,
    payload,
    meta: {
      msg_id: uuid(`msg|${seed}`),
      trace_id: uuid(`trace|${seed}`),
      site_id: 'site-a',
      _meta_parents: m.parents ?? [],
      emitted_at: new Date(now).toISOString(),
      actor: m.actor ?? 'scraper',
      ...(m.stardust === false ? {} : { stardust_id: m.stardust ?? uuid(`packet|${seed}`) }),
    },
    now,
  };
}

function asset(seed: string, o: { video: string; sha: string; source: string }, m: MetaInput = {}) {
  const a = example('VideoAssetCreated');
  a.video_id = o.video;
  a.analysis_stub.video_id = o.video;
  a.job_id = uuid(`job|${seed}`);
  a.source_item = o.source;
  a.media_uri = `media://site-a/sha256/${o.sha}`;
  return message('VideoAssetCreated', a, seed, m);
}

function schedule(
  seed: string,
  o: {
    clip: string;
    slot?: string;
    channel?: string;
    change?: 'scheduled' | 'rescheduled' | 'skipped';
  },
  m: MetaInput = {},
) {
  const change = o.change ?? 'scheduled';
  return message(
    'ScheduleChange',
    {
      clip_id: o.clip,
      channel: o.channel ?? 'bakery-main',
      change,
      ...(change === 'skipped' ? {} : { slot: o.slot ?? '2026-11-03T18:00:00Z' }),
      reason: 'test',
    },
    seed,
    { actor: 'scheduler', ...m },
  );
}

function checkEmit(e: RuntimeEmit): void {
  if (e.type === 'omniva.publish') {
    const v = validateContract(e.contract, e.payload);
    assert.ok(
      v.ok,
      `invalid ${e.contract}: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`,
    );
    assert.is(e.channel, 'adv');
  }
  if (e.type === 'omniva.timer.set') assert.ok(Number.isFinite(e.at), 'an absolute deadline');
}

function start(o: Partial<ParadoxOptions> = {}) {
  const actor = createActor(paradoxMachine(o));
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => {
    out.push(e as RuntimeEmit);
  });
  actor.start();
  const run = (event: unknown) => {
    const from = out.length;
    actor.send(event as Parameters<typeof actor.send>[0]);
    const got = out.slice(from);
    for (const e of got) checkEmit(e);
    return got;
  };
  return {
    out,
    send: (event: MessageEvent) => run(event),
    /** Fires a timer the machine armed, at its deadline, as the runtime does. */
    fire: (t: TimerSetEmit) => run({ ...t.event, now: t.at }),
    context: () => actor.getSnapshot().context,
  };
}

const reports = (es: RuntimeEmit[]) =>
  es
    .filter((e): e is PublishEmit => e.type === 'omniva.publish' && e.name === 'conflict')
    .map((e) => {
      assert.is(e.contract, 'ConflictReport');
      assert.equal(e.parents, (e.payload as ConflictReport).evidence, 'parents are the evidence');
      return e.payload as ConflictReport;
    });
const timers = (es: RuntimeEmit[]) =>
  es.filter((e): e is TimerSetEmit => e.type === 'omniva.timer.set');

const V1 = uuid('video-1');
const V2 = uuid('video-2');
const V3 = uuid('video-3');

// ---- duplicate media -----------------------------------------------------------------------

test('paradox - the same media under another video_id is blocked, citing both asset packets', () => {
  const p = start();
  const first = asset('a1', { video: V1, sha: hex('a'), source: 'yt:video:one' });
  assert.equal(reports(p.send(first)), []);
  const second = asset('a2', { video: V2, sha: hex('a'), source: '/srv/drop/copy.mp4' });
  const [r, ...rest] = reports(p.send(second));
  assert.equal(rest, []);
  assert.equal(r, {
    report_id: reportId('duplicate_media', V1, V2),
    conflict: 'duplicate_media',
    severity: 'high',
    action: 'block',
    affected: [
      { type: 'video', id: V2 },
      { type: 'video', id: V1 },
    ],
    evidence: [first.meta.stardust_id as string, second.meta.stardust_id as string],
    notes: `video ${V2} is the same media (sha256 aaaaaaaaaaaaaaaa…) as video ${V1}, ingested earlier: keep ${V1}, block ${V2}`,
  });
});

test('paradox - the same platform post with other bytes is a duplicate too', () => {
  const p = start();
  p.send(asset('b1', { video: V1, sha: hex('a'), source: 'yt:video:dQw4w9WgXcQ' }));
  const [r] = reports(
    p.send(asset('b2', { video: V2, sha: hex('b'), source: 'yt:video:dQw4w9WgXcQ' })),
  );
  assert.is(r?.conflict, 'duplicate_media');
  assert.match(r?.notes ?? '', /the same platform post \(yt:video:dQw4w9WgXcQ\)/);
});

test('paradox - distinct assets, and one asset announced twice, raise nothing', () => {
  const p = start();
  assert.equal(reports(p.send(asset('c1', { video: V1, sha: hex('a'), source: 's1' }))), []);
  assert.equal(reports(p.send(asset('c2', { video: V2, sha: hex('b'), source: 's2' }))), []);
  // A second announcement of V1 (a republish with a new message id) is not a duplicate.
  assert.equal(reports(p.send(asset('c3', { video: V1, sha: hex('a'), source: 's1' }))), []);
  assert.is(p.context().media.length, 2, 'the repeat is not remembered twice');
});

test('paradox - an unrecorded asset is still compared; the evidence cites what exists', () => {
  const p = start();
  p.send(asset('d1', { video: V1, sha: hex('c'), source: 's' }, { stardust: false }));
  const second = asset('d2', { video: V2, sha: hex('c'), source: 't' });
  const [r] = reports(p.send(second));
  assert.equal(r?.evidence, [second.meta.stardust_id]);
});

test('paradox - memory is bounded: the oldest assets are forgotten first', () => {
  const p = start({ max_media: 3 });
  for (const [i, c] of ['1', '2', '3', '4'].entries()) {
    p.send(asset(`e${i}`, { video: uuid(`v-${c}`), sha: hex(c), source: `src-${c}` }));
  }
  assert.equal(
    p.context().media.map((e) => e[0]),
    [hex('2'), hex('3'), hex('4')],
  );
  assert.equal(
    reports(p.send(asset('e9', { video: V3, sha: hex('1'), source: 'x' }))),
    [],
    'forgotten',
  );
  assert.is(
    reports(p.send(asset('e10', { video: uuid('v-x'), sha: hex('3'), source: 'y' }))).length,
    1,
  );
});

// ---- overlapping candidates ----------------------------------------------------------------

test('paradox - candidates overlapping more than half of the shorter are advised, naming the better one', () => {
  const p = start();
  const a = example('AnalysisReport');
  const base = a.result.clip_candidates[0] as (typeof a.result.clip_candidates)[number];
  a.result.clip_candidates = [
    { ...base, start_time: 10, end_time: 40, confidence: 0.6 },
    { ...base, start_time: 20, end_time: 44, confidence: 0.8 }, // 20 of 24 s: 83 %
    { ...base, start_time: 34, end_time: 54, confidence: 0.9 }, // with #1: 10 of 20 s, exactly 50 %
    { ...base, start_time: 100, end_time: 130, confidence: 0.5 },
  ];
  a.candidate_features = [];
  const ev = message('AnalysisReport', a, 'an1', { actor: 'analyzer' });
  const rs = reports(p.send(ev));
  assert.is(rs.length, 1, 'only the pair above 50 %');
  assert.equal(rs[0], {
    report_id: reportId('overlapping_candidates', a.job_id, '0', '1'),
    conflict: 'overlapping_candidates',
    severity: 'low',
    action: 'ignore',
    affected: [
      { type: 'video', id: a.result.video_id },
      { type: 'job', id: a.job_id },
    ],
    evidence: [ev.meta.stardust_id as string],
    notes:
      'candidates 0 (10–40 s, confidence 0.6) and 1 (20–44 s, confidence 0.8) overlap 83 % of the shorter: keep candidate 1, drop 0',
  });
  assert.equal(p.context().open, [], 'advice to ignore is not kept for the audit');
});

// ---- conflicting schedules -----------------------------------------------------------------

const C1 = uuid('clip-1');
const C2 = uuid('clip-2');
const C3 = uuid('clip-3');

test('paradox - two clips of one channel at the same slot are a blocking conflict', () => {
  const p = start();
  const first = schedule('s1', { clip: C1, slot: '2026-11-03T18:00:00Z' });
  assert.equal(reports(p.send(first)), []);
  // Another channel at the same time, and the same channel at another time: fine.
  assert.equal(
    reports(p.send(schedule('s2', { clip: C3, channel: 'other', slot: '2026-11-03T18:00:00Z' }))),
    [],
  );
  assert.equal(
    reports(
      p.send(
        schedule('s3', {
          clip: C3,
          channel: 'other',
          slot: '2026-11-03T19:00:00Z',
          change: 'rescheduled',
        }),
      ),
    ),
    [],
  );
  // The same instant written with milliseconds is the same slot.
  const second = schedule('s4', { clip: C2, slot: '2026-11-03T18:00:00.000Z' });
  const slot = '2026-11-03T18:00:00.000Z';
  assert.equal(reports(p.send(second)), [
    {
      report_id: reportId('conflicting_schedule', 'bakery-main', slot, ...[C1, C2].sort()),
      conflict: 'conflicting_schedule',
      severity: 'high',
      action: 'block',
      affected: [
        { type: 'clip', id: C2 },
        { type: 'clip', id: C1 },
        { type: 'schedule', id: `bakery-main@${slot}` },
      ],
      evidence: [first.meta.stardust_id as string, second.meta.stardust_id as string],
      notes: `clips ${C1} and ${C2} are both booked on bakery-main at ${slot}: keep ${C1} (booked first), move ${C2}`,
    },
  ]);
});

// ---- audit ---------------------------------------------------------------------------------

test('paradox - the audit is armed once, hourly, at an absolute deadline', () => {
  const p = start();
  const armed = timers(
    p.send(asset('t1', { video: V1, sha: hex('a'), source: 's' }, { now: T0 + 5 })),
  );
  assert.equal(armed, [
    { type: 'omniva.timer.set', id: 'audit', at: T0 + 5 + HOUR, event: { type: 'audit' } },
  ]);
  assert.equal(
    timers(p.send(asset('t2', { video: V2, sha: hex('b'), source: 't' }, { now: T0 + 9 }))),
    [],
  );
  const again = timers(p.fire(armed[0] as TimerSetEmit));
  assert.equal(
    again.map((t) => t.at),
    [T0 + 5 + 2 * HOUR],
    'the audit re-arms itself',
  );
});

test('paradox - the hourly audit re-reports unresolved conflicts under the same report_id', () => {
  const p = start();
  const armed = timers(
    p.send(asset('u1', { video: V1, sha: hex('a'), source: 's' })),
  )[0] as TimerSetEmit;
  const [dup] = reports(p.send(asset('u2', { video: V2, sha: hex('a'), source: 't' })));
  const [clash] = reports([
    ...p.send(schedule('u3', { clip: C1 })),
    ...p.send(schedule('u4', { clip: C2 })),
  ]);
  assert.ok(dup && clash);
  const audited = reports(p.fire(armed));
  assert.equal(audited, [dup, clash], 'both again, identical, so a consumer dedupes by report_id');
});

test('paradox - a reschedule or skip resolves a double booking; the audit stays quiet about it', () => {
  const p = start();
  const armed = timers(p.send(schedule('w1', { clip: C1 })))[0] as TimerSetEmit;
  assert.is(reports(p.send(schedule('w2', { clip: C2 }))).length, 1);
  p.send(schedule('w3', { clip: C2, slot: '2026-11-03T20:00:00Z', change: 'rescheduled' }));
  assert.equal(p.context().open, []);
  assert.equal(reports(p.fire(armed)), []);
  // Booked together again, then one skipped.
  assert.is(reports(p.send(schedule('w4', { clip: C3 }))).length, 1);
  p.send(schedule('w5', { clip: C3, change: 'skipped' }));
  assert.equal(p.context().open, []);
});

test('paradox - an arbitration naming a report closes it', () => {
  const p = start();
  const armed = timers(
    p.send(asset('x1', { video: V1, sha: hex('a'), source: 's' })),
  )[0] as TimerSetEmit;
  const [dup] = reports(p.send(asset('x2', { video: V2, sha: hex('a'), source: 't' })));
  const decided = message(
    'Arbitration',
    {
      decision: 'hold',
      video_id: V2,
      accepted: [{ module: 'paradox', ref: dup?.report_id as string }],
      rejected: [],
      reason: 'Paradox blocks it: duplicate_media (high)',
      at: new Date(T0).toISOString(),
    },
    'x3',
    { actor: 'zenith' },
  );
  assert.equal(reports(p.send(decided)), []);
  assert.equal(p.context().open, []);
  assert.equal(reports(p.fire(armed)), []);
});

// ---- circular lineage ----------------------------------------------------------------------

test('paradox - findCycle returns the path a new packet closes, and nothing for a diamond', () => {
  const links = new Map<string, string[]>([
    ['b', ['a']],
    ['c', ['a']],
    ['d', ['b', 'c']],
    ['a', ['x']], // x claims a parent that is not seen yet
  ]);
  assert.is(findCycle(links, 'e', ['d']), undefined, 'a diamond is not a cycle');
  assert.equal(findCycle(links, 'x', ['d']), ['x', 'd', 'c', 'a']);
  assert.equal(findCycle(links, 'y', ['y']), ['y'], 'a packet that is its own parent');
});

test('paradox - a lineage cycle among seen packets is reported critical, with the cycle as evidence', () => {
  const p = start();
  const [A, B, C] = [uuid('pk-a'), uuid('pk-b'), uuid('pk-c')];
  // A claims C as its parent before C is seen; B derives from A; C then derives from B.
  p.send(asset('l1', { video: V1, sha: hex('1'), source: '1' }, { stardust: A, parents: [C] }));
  p.send(asset('l2', { video: V2, sha: hex('2'), source: '2' }, { stardust: B, parents: [A] }));
  const closing = asset(
    'l3',
    { video: V3, sha: hex('3'), source: '3' },
    { stardust: C, parents: [B] },
  );
  const [r, ...rest] = reports(p.send(closing));
  assert.equal(rest, []);
  assert.equal(r, {
    report_id: reportId('circular_lineage', ...[A, B, C].sort()),
    conflict: 'circular_lineage',
    severity: 'critical',
    action: 'quarantine',
    affected: [
      { type: 'video', id: V3 },
      { type: 'job', id: closing.payload.job_id },
      { type: 'worker', id: 'scraper' },
    ],
    evidence: [C, B, A],
    notes: `packet ${C} closes a lineage cycle of 3 packets (${C} → ${B} → ${A} → ${C}): quarantine what derives from it`,
  });
  assert.is(p.context().open.length, 1, 'kept for the audit');
});

test('paradox - an ordinary lineage raises nothing, and the links kept are bounded', () => {
  const p = start({ max_links: 2 });
  const ids = ['n1', 'n2', 'n3'].map(uuid);
  ids.forEach((id, i) => {
    const parents = i === 0 ? [] : [ids[i - 1] as string];
    const out = p.send(
      asset(
        `m${i}`,
        { video: uuid(`mv${i}`), sha: hex(String(i)), source: String(i) },
        { stardust: id, parents },
      ),
    );
    assert.equal(reports(out), []);
  });
  assert.equal(
    p.context().links.map(([n]) => n),
    [ids[1], ids[2]],
  );
});

// ---- determinism and binding ---------------------------------------------------------------

test('paradox - identical event sequences give identical reports', () => {
  const script = () => {
    const p = start();
    const t = timers(
      p.send(asset('z1', { video: V1, sha: hex('a'), source: 's' })),
    )[0] as TimerSetEmit;
    p.send(asset('z2', { video: V2, sha: hex('a'), source: 't' }));
    p.send(schedule('z3', { clip: C1 }));
    p.send(schedule('z4', { clip: C2 }));
    p.fire(t);
    return p.out;
  };
  const first = script();
  assert.ok(reports(first).length >= 4);
  assert.equal(script(), first);
});

test('paradox - one instance reads assets, analyses, schedule changes and arbitrations', () => {
  const kind = paradoxKind();
  assert.is(kind.name, 'paradox');
  assert.is(kind.key?.({} as never), 'main');
  assert.equal([...kind.accepts].sort(), [
    'AnalysisReport',
    'Arbitration',
    'ScheduleChange',
    'VideoAssetCreated',
  ]);
  assert.equal(kind.work?.filter('site-a'), [
    subjects.evtAny('site-a', 'video_asset_created'),
    subjects.evtAny('site-a', 'analysis_ready'),
    subjects.evtAny('site-a', 'scheduled'),
    subjects.evtAny('site-a', 'rescheduled'),
    subjects.evtAny('site-a', 'skipped'),
    subjects.adv('site-a', 'zenith', 'arbitration'),
  ]);
  assert.equal(DEFAULT_PARADOX.audit_ms, HOUR);
});

test.run();
