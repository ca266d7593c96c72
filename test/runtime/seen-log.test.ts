// The dedupe set as a live instance keeps it, and the record layout it is stored in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONTENT_TYPES, decode, encode, makeEnvelope } from '../../protocols/index.ts';
import {
  decodeRecord,
  emptyRecord,
  encodeRecord,
  type OutboxEntry,
} from '../../runtime/internal/record.ts';
import { type SeenEntry, SeenLog } from '../../runtime/internal/seen-log.ts';

const limits = { window: 5, horizonMs: 60_000 };
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Applies updates the way the store does: compute, then commit once the write succeeded. */
function add(log: SeenLog, ids: string[], now: number, l = limits): SeenLog {
  log.update(ids, now, l).commit();
  return log;
}

test('seen - remembers ids across writes; past the window the oldest go first, a write cut in two if needed', () => {
  const log = SeenLog.fromEntries([]);
  add(log, [uuid(1), uuid(2)], 1000);
  add(log, [uuid(3), uuid(4)], 2000);
  add(log, [uuid(5), uuid(6)], 3000);
  assert.equal(
    log.entries(),
    [
      [uuid(2), 1000],
      [uuid(3), 2000],
      [uuid(4), 2000],
      [uuid(5), 3000],
      [uuid(6), 3000],
    ],
    'exactly the newest `window` ids',
  );
  assert.not.ok(log.has(uuid(1)));
  for (const i of [2, 3, 4, 5, 6]) assert.ok(log.has(uuid(i)), `remembers ${uuid(i)}`);
  assert.is(log.size, 5);
});

test('seen - ids past the horizon are forgotten, younger ones kept', () => {
  const log = SeenLog.fromEntries([]);
  add(log, ['timer.a.1'], 0);
  add(log, [uuid(1)], 30_000);
  add(log, [uuid(2)], 61_000);
  assert.equal(log.entries(), [
    [uuid(1), 30_000],
    [uuid(2), 61_000],
  ]);
  assert.not.ok(log.has('timer.a.1'));
});

test('seen - an update that is not committed (its write failed) changes nothing', () => {
  const log = add(SeenLog.fromEntries([]), [uuid(1)], 1000);
  const pending = log.update([uuid(2), uuid(3), uuid(4), uuid(5), uuid(6)], 2000, limits);
  assert.equal(pending.entries().length, 5);
  assert.not.ok(
    pending.entries().some(([id]) => id === uuid(1)),
    'the update drops the oldest',
  );
  assert.ok(log.has(uuid(1)), 'the log still has it');
  assert.not.ok(log.has(uuid(2)));
  assert.equal(log.entries(), [[uuid(1), 1000]]);
});

test('seen - an id remembered again moves to the newest end (exact slow path)', () => {
  const log = add(SeenLog.fromEntries([]), [uuid(1), uuid(2)], 1000);
  add(log, [uuid(1)], 2000);
  assert.equal(log.entries(), [
    [uuid(2), 1000],
    [uuid(1), 2000],
  ]);
});

test('seen - the binary form reads back: UUIDs (16 bytes), timer causes, other ids', () => {
  const mixed = 'abcdef00-0000-4000-8000-0000000000ab';
  const ids = [uuid(7), 'timer.wake.1732300000000', 'not-a-uuid-ÄÖ', mixed.toUpperCase()];
  const log = add(SeenLog.fromEntries([]), ids, 1234.5, { window: 100, horizonMs: 1e9 });
  add(log, [uuid(9)], 2000, { window: 100, horizonMs: 1e9 });
  const back = SeenLog.fromBinary(log.binary());
  assert.equal(back.entries(), log.entries());
  for (const id of [...ids, uuid(9)]) assert.ok(back.has(id), id);
  assert.not.ok(back.has(mixed), 'an upper-case id is kept as written, not normalised');
  // Two chunks of [f64 at][u16 count]; a lower-case UUID takes 2 + 16 bytes, others 2 + utf-8.
  assert.is(log.binary().length, 10 + 18 + (2 + 24) + (2 + 15) + (2 + 36) + 10 + 18);
  assert.throws(() => SeenLog.fromBinary(log.binary().subarray(0, 20)), /truncated/);
});

function outboxEntry(n: number): OutboxEntry {
  const envelope = makeEnvelope({
    type: 'EchoReply',
    site_id: 'test',
    payload: { text: `out ${n}` },
  });
  return { cause: uuid(n), subject: 'omniva.test.evt.echo.echoed', envelope };
}

test('records - msgpack: dedupe set and outbox messages binary, read back as entries and envelopes', () => {
  const seen: SeenEntry[] = [
    [uuid(1), 1000],
    [uuid(2), 1000],
    ['timer.t.5', 2000],
  ];
  const withData = { ...outboxEntry(3), caused_by: uuid(9) };
  withData.data = encode(withData.envelope, 'msgpack');
  const { seen: _none, ...state } = emptyRecord('echo', 1, 'k');
  const record = { ...state, outbox: [outboxEntry(1), withData] };
  const bytes = encodeRecord({ ...record, seen: SeenLog.fromEntries(seen) }, 'msgpack');
  const raw = decode(bytes, CONTENT_TYPES.msgpack) as {
    seen: unknown;
    outbox: Record<string, unknown>[];
  };
  assert.instance(raw.seen, Uint8Array, 'the dedupe set is one binary value');
  assert.equal(Object.keys(raw.outbox[0] ?? {}).sort(), ['cause', 'data', 'subject']);
  assert.equal(raw.outbox[1]?.caused_by, uuid(9));
  const back = decodeRecord(bytes);
  assert.equal(back.seen, seen);
  assert.equal(
    back.outbox.map((e) => e.envelope),
    record.outbox.map((e) => e.envelope),
  );
  assert.equal(
    back.outbox.map(({ cause, subject, caused_by }) => ({ cause, subject, caused_by })),
    [
      { cause: uuid(1), subject: 'omniva.test.evt.echo.echoed', caused_by: undefined },
      { cause: uuid(3), subject: 'omniva.test.evt.echo.echoed', caused_by: uuid(9) },
    ],
  );
});

test('records - JSON stays readable with `nats kv get`: plain entries, envelopes inline', () => {
  const seen: SeenEntry[] = [[uuid(1), 1000]];
  const { seen: _none, ...state } = emptyRecord('echo', 1, 'k');
  const entry = outboxEntry(1);
  entry.data = encode(entry.envelope, 'msgpack');
  const bytes = encodeRecord(
    { ...state, outbox: [entry], seen: SeenLog.fromEntries(seen) },
    'json',
  );
  const text = JSON.parse(new TextDecoder().decode(bytes)) as {
    seen: unknown;
    outbox: Record<string, unknown>[];
  };
  assert.equal(text.seen, seen);
  assert.equal(text.outbox[0]?.envelope, entry.envelope);
  assert.not.ok('data' in (text.outbox[0] ?? {}), 'no binary in a JSON record');
  assert.equal(decodeRecord(bytes).seen, seen);
});

test('records - a record written in the earlier layout (entries, envelopes inline) is read', () => {
  const legacy = {
    ...emptyRecord('echo', 1, 'k'),
    seen: [
      [uuid(1), 1000],
      [uuid(2), 1500],
    ],
    outbox: [outboxEntry(4)],
  };
  const back = decodeRecord(encode(legacy, 'msgpack'));
  assert.equal(back.seen, legacy.seen);
  assert.equal(back.outbox[0]?.envelope, legacy.outbox[0]?.envelope);
  const log = SeenLog.fromEntries(back.seen);
  assert.ok(log.has(uuid(1)) && log.has(uuid(2)));
});

test.run();
