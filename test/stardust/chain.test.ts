import { jetstreamManager } from '@nats-io/jetstream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateContract } from '../../protocols/index.ts';
import {
  computeStardustId,
  STARDUST_STREAM,
  stardustPacketSubject,
} from '../../runtime/stardust/index.ts';
import { input, type Rig, SITE, startRig, storedCount } from './support.ts';

let rig: Rig;
test.before(async () => {
  rig = await startRig();
});
test.after(async () => {
  await rig?.close();
});

test('stardust chain - the first packet has prev null; every id recomputes; prev links each to the one before', async () => {
  const packets = [];
  for (let i = 0; i < 5; i++) packets.push(await rig.ledger.append(input()));
  assert.is(packets[0]?.prev, null);
  for (const [i, p] of packets.entries()) {
    assert.ok(validateContract('StardustPacket', p).ok);
    assert.is(computeStardustId(p), p.stardust_id);
    assert.match(
      p.stardust_id,
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    if (i > 0) assert.is(p.prev, packets[i - 1]?.stardust_id);
    assert.is(p.site_id, SITE);
  }
  assert.equal(await rig.ledger.verify(), { ok: true, count: 5 });
});

test('stardust chain - pipelined appends from many callers form one chain, each packet once', async () => {
  const before = await storedCount(rig.nc);
  const results = await Promise.all(Array.from({ length: 2000 }, () => rig.ledger.record(input())));
  const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
  assert.is(new Set(seqs).size, 2000);
  assert.is(await storedCount(rig.nc), before + 2000);
  const v = await rig.ledger.verify();
  assert.equal(v, { ok: true, count: before + 2000 });
});

test('stardust chain - stored with the documented subject and headers, JSON body', async () => {
  const p = await rig.ledger.append(input({ kind: 'arbitration', ref: 'msg-abc' }));
  const jsm = await jetstreamManager(rig.nc);
  const m = await jsm.streams.getMessage(STARDUST_STREAM, {
    last_by_subj: stardustPacketSubject(SITE, 'arbitration', 'msg-abc'),
  });
  assert.ok(m);
  assert.is(m.subject, `omniva.${SITE}.stardust.arbitration.msg-abc`);
  assert.is(m.header?.get('Nats-Msg-Id'), p.stardust_id);
  assert.is(m.header?.get('Omniva-Stardust-Id'), p.stardust_id);
  assert.is(m.header?.get('Omniva-Trace'), p.trace_id);
  assert.is(m.header?.get('Omniva-Site'), SITE);
  assert.is(m.header?.get('Content-Type'), 'application/json');
  assert.equal(JSON.parse(new TextDecoder().decode(m.data)), p);
  assert.equal(await rig.ledger.get(p.stardust_id), p);
  assert.equal(await rig.ledger.getByRef('arbitration', 'msg-abc'), p);
});

test('stardust chain - computeStardustId covers every field, prev included', () => {
  const base = {
    site_id: SITE,
    kind: 'event',
    ref: 'r1',
    actor: 'a',
    trace_id: '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6',
    _meta_parents: [],
    entities: { video: ['v1'] },
    payload: { b: 1, a: [1, 2] },
    recorded_at: '2026-01-01T00:00:00.000Z',
    prev: null,
  };
  const id = computeStardustId(base);
  // Key order does not matter (RFC 8785), content does.
  assert.is(computeStardustId({ ...base, payload: { a: [1, 2], b: 1 } }), id);
  assert.is.not(computeStardustId({ ...base, prev: id }), id);
  assert.is.not(computeStardustId({ ...base, entities: { video: ['v2'] } }), id);
  assert.is(computeStardustId({ stardust_id: id, ...base }), id);
});

test.run();
