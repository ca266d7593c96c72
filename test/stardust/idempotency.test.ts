import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  openLedger,
  packetHeaders,
  prepareAppend,
  sealPrepared,
  stardustPacketSubject,
} from '../../runtime/stardust/index.ts';
import { dropAcks, input, type Rig, SITE, silentLog, startRig, storedCount } from './support.ts';

let rig: Rig;
test.before(async () => {
  rig = await startRig();
});
test.after(async () => {
  await rig?.close();
});

test('stardust idempotency - the same prepared packet published twice is stored once', async () => {
  await rig.ledger.append(input());
  const head = await rig.ledger.store.head();
  const { packet, data } = sealPrepared(
    prepareAppend(SITE, input(), new Date()),
    head.id,
    new Date().toISOString(),
  );
  const subject = stardustPacketSubject(SITE, packet.kind, packet.ref);
  const js = jetstream(rig.nc);
  const first = await js.publish(subject, data, {
    headers: packetHeaders(packet, { lastSeq: head.seq }),
  });
  const again = await js.publish(subject, data, {
    headers: packetHeaders(packet, { lastSeq: head.seq }),
  });
  assert.is(first.duplicate, false);
  assert.is(again.duplicate, true);
  assert.is(again.seq, first.seq);
  assert.is(await storedCount(rig.nc), head.seq + 1);
  assert.equal(await rig.ledger.verify(), { ok: true, count: head.seq + 1 });
});

test('stardust idempotency - an append whose ack was lost is found by its ref and not stored twice', async () => {
  const before = await storedCount(rig.nc);
  const raw = await connect({ servers: rig.server.url, noAsyncTraces: true });
  const nc = dropAcks(raw, 1, (s) => s.startsWith(`omniva.${SITE}.stardust.`));
  const ledger = await openLedger(nc, {
    site: SITE,
    log: silentLog,
    ackTimeoutMs: 300,
    denyDelete: false,
  });
  try {
    const one = input({ kind: 'retry_plan' });
    const r = await ledger.record(one);
    assert.is(nc.dropped(), 1);
    assert.is(r.existing, false);
    assert.is(r.packet.ref, one.ref);
    assert.is(await storedCount(rig.nc), before + 1);
    // The same for a window of pipelined appends whose first ack is lost.
    const more = await Promise.all(Array.from({ length: 50 }, () => ledger.record(input())));
    assert.is(new Set(more.map((m) => m.seq)).size, 50);
    assert.is(await storedCount(rig.nc), before + 51);
    assert.equal(await ledger.verify(), { ok: true, count: before + 51 });
  } finally {
    await ledger.close();
    await raw.close();
  }
});

test('stardust idempotency - re-recording kind + ref returns the existing packet, from any process', async () => {
  const one = input({ kind: 'resolution' });
  const first = await rig.ledger.record(one);
  const count = await storedCount(rig.nc);
  const again = await rig.ledger.record({ ...one, payload: { different: true } });
  assert.is(again.existing, true);
  assert.equal(again.packet, first.packet);
  assert.is(again.seq, first.seq);
  // Another connection, as a process re-executing after a crash would be.
  const other = await rig.another();
  const third = await other.ledger.record(one);
  assert.is(third.existing, true);
  assert.is(third.packet.stardust_id, first.packet.stardust_id);
  assert.is(await storedCount(rig.nc), count);
});

test('stardust idempotency - duplicates inside a pipelined burst settle to the existing packets', async () => {
  const before = await storedCount(rig.nc);
  const inputs = Array.from({ length: 200 }, () => input());
  // Every tenth input repeats the ref of the one before it.
  for (let i = 10; i < inputs.length; i += 10)
    inputs[i] = { ...inputs[i]!, ref: inputs[i - 1]!.ref };
  const results = await Promise.all(inputs.map((i) => rig.ledger.record(i)));
  const existing = results.filter((r) => r.existing);
  assert.is(existing.length, 19);
  for (let i = 10; i < inputs.length; i += 10) {
    assert.is(results[i]!.packet.stardust_id, results[i - 1]!.packet.stardust_id);
  }
  assert.is(await storedCount(rig.nc), before + 181);
  assert.equal(await rig.ledger.verify(), { ok: true, count: before + 181 });
});

test.run();
