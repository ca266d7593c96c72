// Use Case 3 of the technical spec, scheduling optimisation: the scheduler proposes the first
// free slot after Zenith's lead time; Horizon's preferred window lies hours later; Zenith
// reconciles the two — a `reschedule` arbitration accepting Horizon and rejecting the
// scheduler's proposal — the scheduler moves the booking into the window, Zenith approves
// and the clip is published at that slot. Stardust holds the decision chain.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  Arbitration,
  HorizonGuidance,
  PublishReceipt,
  ScheduleChange,
  ScheduleOrder,
} from '../../protocols/index.ts';
import { bodyOf, hhmm, one, openScenario, type Scenario, type Seen, timeBound } from './harness.ts';

timeBound(170_000);

let s: Scenario;
let clip = '';
let window = { start: '', end: '' };
let receipt: Seen<PublishReceipt>;
let orders: Seen<ScheduleOrder>[];
let changes: Seen<ScheduleChange>[];
let reschedule: Seen<Arbitration>;
let approve: Seen<Arbitration>;

/** Whether an ISO time falls in the preferred window (UTC, may wrap past midnight). */
function inWindow(iso: string): boolean {
  const t = new Date(iso);
  const m = t.getUTCHours() * 60 + t.getUTCMinutes();
  const toMin = (x: string) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3));
  const [a, b] = [toMin(window.start), toMin(window.end)];
  return a < b ? m >= a && m < b : m >= a || m < b;
}

test.before(async () => {
  // Zenith asks for a slot an hour ahead (lead_minutes 60); Horizon prefers three hours ahead.
  const from = new Date(Date.now() + 3 * 3_600_000);
  window = { start: hhmm(from), end: hhmm(new Date(from.getTime() + 3_600_000)) };
  s = await openScenario({
    cognitive: { zenith: { lead_minutes: 60 }, horizon: { preferred_windows: [window] } },
  });
  await s.ingest(s.sample.files.talk);
  [receipt] = (await s.next('PublishReceipt', undefined, 120_000)) as [Seen<PublishReceipt>];
  // Horizon answers the promotion and each of the two bookings.
  await s.next('HorizonGuidance', undefined, 30_000, 3);
  await s.ledger.settle();
  clip = receipt.payload.clip_id;
  orders = s.of('ScheduleOrder', (o) => o.task.clip_id === clip);
  changes = s.of('ScheduleChange', (c) => c.clip_id === clip);
  reschedule = one(
    s.decisions((a) => a.decision === 'reschedule' && a.clip_id === clip),
    'reschedule',
  );
  approve = one(
    s.decisions((a) => a.decision === 'approve' && a.clip_id === clip),
    'approve',
  );
});

test.after(async () => {
  await s?.stop();
});

test("use case 3 - the scheduler's first proposal lies outside Horizon's preferred window", () => {
  assert.is(orders.length, 2, 'two ScheduleOrders: the first ask and the shift');
  assert.is(changes.length, 2, 'two answers from the scheduler');
  const [first] = changes as [Seen<ScheduleChange>];
  assert.is(first.payload.change, 'scheduled');
  assert.ok(first.payload.slot, 'a slot was booked');
  assert.not.ok(inWindow(first.payload.slot), `${first.payload.slot} is outside ${window.start}`);
  const ask = orders[0]?.payload.task.recommended_time as string;
  const lead = Date.parse(ask) - Date.parse(orders[0]?.envelope.emitted_at as string);
  assert.ok(Math.abs(lead - 3_600_000) < 60_000, `asked for the lead time ahead (${ask})`);
});

test("use case 3 - Horizon flags the booking and Zenith reschedules, accepting Horizon and rejecting the scheduler's slot", async () => {
  const [first] = changes as [Seen<ScheduleChange>];
  const a = reschedule.payload;
  assert.is(a.accepted.length, 1);
  assert.is(a.accepted[0]?.module, 'horizon');
  const guidance = one(
    s.of('HorizonGuidance', (_g, m) => m.stardust_id === a.accepted[0]?.ref),
    'accepted guidance',
  ) as Seen<HorizonGuidance>;
  assert.equal(
    guidance.payload.slot_weights,
    [{ ...window, weight: 1 }],
    'the guidance carries the preferred window',
  );
  assert.equal(a.rejected, [
    {
      module: 'scheduler',
      ref: first.envelope.msg_id,
      why: `${first.payload.slot} is outside Horizon's preferred windows`,
    },
  ]);
  assert.match(a.reason, `Horizon prefers ${window.start}-${window.end} UTC`);
  // Horizon, seeing the booking, names it and the window to move it to.
  const flagged = s.of('HorizonGuidance', (g) =>
    g.drift.some((d) => d.warning.includes(`clip ${clip} is booked at`)),
  );
  assert.ok(flagged.length > 0, 'Horizon warned about the off-window booking');
  const flagPacket = await s.packet(flagged[0]?.stardust_id as string);
  assert.ok(flagPacket._meta_parents.includes(first.stardust_id), 'the warning cites the booking');
  // Once moved, the warning is gone.
  const last = s.of('HorizonGuidance').at(-1) as Seen<HorizonGuidance>;
  assert.ok((await s.seq(last.stardust_id)) > (await s.seq(changes[1]?.stardust_id as string)));
  assert.not.ok(
    last.payload.drift.some((d) => d.warning.includes(clip)),
    'no warning after the move',
  );
});

test('use case 3 - decisions in order: scheduled → reschedule → rescheduled into the window → approve → published at that slot', async () => {
  const [first, second] = changes as [Seen<ScheduleChange>, Seen<ScheduleChange>];
  assert.is(second.payload.change, 'rescheduled', 'the booking moved');
  assert.is(second.payload.previous_slot, first.payload.slot);
  const slot = second.payload.slot as string;
  assert.ok(inWindow(slot), `${slot} is inside ${window.start}-${window.end}`);
  assert.ok(
    Date.parse(orders[1]?.payload.task.recommended_time as string) <= Date.parse(slot),
    'at or after the window start Zenith asked for',
  );
  assert.is(approve.payload.reason, `publish at ${slot} on main`);
  assert.equal(approve.payload.accepted, [{ module: 'scheduler', ref: second.envelope.msg_id }]);
  const publish = one(
    s.of('PublishOrder', (o) => o.job.clip_id === clip),
    'PublishOrder',
  );
  assert.is(publish.payload.job.scheduled_time, slot);
  assert.is(receipt.payload.scheduled_time, slot, 'published for the slot in the window');
  const chain = [first, reschedule, orders[1], second, approve, publish, receipt] as Seen[];
  const seqs = await Promise.all(chain.map((m) => s.seq(m.stardust_id)));
  assert.equal(
    seqs,
    [...seqs].sort((x, y) => x - y),
    'in this order in the ledger',
  );
  assert.is(
    s.decisions((a) => a.decision === 'approve').length,
    1,
    'nothing was approved at the first slot',
  );
});

test("use case 3 - Stardust records the chain: the reschedule cites Horizon's guidance and the first ScheduleChange", async () => {
  const [first, second] = changes as [Seen<ScheduleChange>, Seen<ScheduleChange>];
  const guidanceId = reschedule.payload.accepted[0]?.ref as string;
  const guidance = await s.packet(guidanceId);
  assert.is(guidance.kind, 'advice');
  assert.is((guidance.payload as { type: string }).type, 'HorizonGuidance');
  const decision = await s.packet(reschedule.stardust_id);
  assert.ok(decision._meta_parents.includes(guidanceId), 'cites the HorizonGuidance packet');
  assert.ok(decision._meta_parents.includes(first.stardust_id), 'cites the first ScheduleChange');
  const shift = await s.packet(orders[1]?.stardust_id as string);
  assert.is(shift.kind, 'command');
  assert.ok(
    shift._meta_parents.includes(guidanceId) && shift._meta_parents.includes(first.stardust_id),
  );
  assert.ok(
    (await s.packet(second.stardust_id))._meta_parents.includes(shift.stardust_id),
    'the move derives from the second ScheduleOrder',
  );
  assert.ok(
    (await s.packet(approve.stardust_id))._meta_parents.includes(second.stardust_id),
    'the approval cites the move',
  );
  const ancestors = await s.ancestors(receipt.stardust_id);
  for (const [what, id] of Object.entries({
    'the move': second.stardust_id,
    "Horizon's guidance": guidanceId,
    'the first proposal': first.stardust_id,
  }))
    assert.ok(ancestors.has(id), `the receipt descends from ${what}`);
  assert.equal(bodyOf<{ decision: string }>(decision).decision, 'reschedule');
  const e = await s.explain({ type: 'clip', id: clip });
  assert.ok(
    e.chain.some(
      (step) =>
        step.stardust_ids.includes(reschedule.stardust_id) && /reschedule/.test(step.statement),
    ),
    'HaloLux narrates the reschedule',
  );
});

test.run();
