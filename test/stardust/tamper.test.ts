import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildPacket,
  encodePacket,
  STARDUST_STREAM,
  type StardustPacket,
  stardustPacketSubject,
} from '../../runtime/stardust/index.ts';
import { input, type Rig, SITE, startRig } from './support.ts';

// Each test gets its own server: tampering is not undone.
let rig: Rig | undefined;
test.after.each(async () => {
  await rig?.close();
  rig = undefined;
});

async function appendMany(n: number): Promise<{ packet: StardustPacket; seq: number }[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await rig!.ledger.record(input()));
  return out;
}

test('stardust tamper - a deleted packet is the first broken link, named by the id its successor points to', async () => {
  rig = await startRig();
  const stored = await appendMany(6);
  const victim = stored[2]!;
  const jsm = await jetstreamManager(rig.nc);
  assert.ok(await jsm.streams.deleteMessage(STARDUST_STREAM, victim.seq));
  const v = await rig.ledger.verify();
  assert.equal(v.ok, false);
  if (v.ok) return;
  assert.is(v.seq, victim.seq);
  assert.is(v.stardust_id, victim.packet.stardust_id);
  assert.match(v.reason, /missing \(deleted\)/);
  assert.is(v.count, 2);

  // Reading the ledger after tampering still works: the index skips the gap, appends go on.
  const after = await rig.ledger.append(input());
  assert.is(after.prev, stored[5]!.packet.stardust_id);
  const lineage = await rig.ledger.lineage.sync();
  assert.ok(lineage.has(after.stardust_id));
  assert.not.ok(lineage.has(victim.packet.stardust_id));
  assert.equal(await rig.ledger.get(stored[4]!.packet.stardust_id), stored[4]!.packet);
  assert.is((await rig.ledger.verify()).ok, false);
});

test('stardust tamper - deleting the first or the last packet is reported too', async () => {
  rig = await startRig();
  const stored = await appendMany(3);
  const jsm = await jetstreamManager(rig.nc);
  await jsm.streams.deleteMessage(STARDUST_STREAM, stored[2]!.seq);
  let v = await rig.ledger.verify();
  assert.equal(v.ok ? 0 : [v.seq, v.count], [stored[2]!.seq, 2]);
  await jsm.streams.deleteMessage(STARDUST_STREAM, stored[0]!.seq);
  v = await rig.ledger.verify();
  assert.equal(v.ok ? 0 : v.seq, 1);
});

test('stardust tamper - a forged packet published raw on a stardust subject is reported', async () => {
  rig = await startRig();
  const stored = await appendMany(3);
  const js = jetstream(rig.nc);
  // A well-formed packet with a correct id, but chained to the first packet, not the head.
  const forged = buildPacket(
    SITE,
    input({ actor: 'mallory' }),
    stored[0]!.packet.stardust_id,
    new Date().toISOString(),
  );
  const h = headers();
  h.set('Nats-Msg-Id', forged.stardust_id);
  h.set('Content-Type', 'application/json');
  const ack = await js.publish(
    stardustPacketSubject(SITE, forged.kind, forged.ref),
    encodePacket(forged),
    { headers: h },
  );
  let v = await rig.ledger.verify();
  assert.equal(v.ok ? undefined : [v.seq, v.stardust_id, v.count], [
    ack.seq,
    forged.stardust_id,
    3,
  ]);
  assert.match(v.ok ? '' : v.reason, /prev is .*, expected /);

  // Appends continue after the stream's last packet (well-formed, if badly linked); verify
  // still names the forgery first.
  const next = await rig.ledger.append(input());
  assert.is(next.prev, forged.stardust_id);
  v = await rig.ledger.verify();
  assert.equal(v.ok ? undefined : v.seq, ack.seq);
});

test('stardust tamper - a message that is not a packet, or whose id does not recompute, is reported', async () => {
  rig = await startRig();
  await appendMany(2);
  const js = jetstream(rig.nc);
  const junk = await js.publish(
    `omniva.${SITE}.stardust.event.junk`,
    new TextEncoder().encode('{"hello":1}'),
  );
  let v = await rig.ledger.verify();
  assert.equal(v.ok ? undefined : v.seq, junk.seq);
  assert.match(v.ok ? '' : v.reason, /not a valid packet/);
  // A message that is not a packet is skipped when finding where the chain continues.
  const after = await rig.ledger.record(input());
  assert.is(after.seq, junk.seq + 1);
  assert.ok(after.packet.prev);

  // A fresh server: a packet whose content was altered after its id was computed.
  await rig.close();
  rig = await startRig();
  const [first] = await appendMany(1);
  const altered = {
    ...buildPacket(SITE, input(), first!.packet.stardust_id, new Date().toISOString()),
  };
  altered.payload = { n: 'changed' };
  const h = headers();
  h.set('Nats-Msg-Id', altered.stardust_id);
  const ack = await jetstream(rig.nc).publish(
    stardustPacketSubject(SITE, altered.kind, altered.ref),
    encodePacket(altered),
    { headers: h },
  );
  v = await rig.ledger.verify();
  assert.equal(v.ok ? undefined : [v.seq, v.stardust_id], [ack.seq, altered.stardust_id]);
  assert.match(v.ok ? '' : v.reason, /does not match the content/);
  // The index reads past it.
  const index = await rig.ledger.lineage.sync();
  assert.is(index.lastSeq, ack.seq);
});

test.run();
