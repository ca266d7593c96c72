import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppendResult } from '../../runtime/stardust/index.ts';
import { input, type Rig, startRig, storedCount } from './support.ts';

let rig: Rig;
test.before(async () => {
  rig = await startRig();
});
test.after(async () => {
  await rig?.close();
});

test('stardust concurrent - two appenders on two connections keep one valid chain, every packet once', async () => {
  const a = rig.ledger;
  const { ledger: b } = await rig.another();
  const N = 600;
  const burst = (ledger: typeof a, who: string) =>
    Promise.all(Array.from({ length: N }, () => ledger.record(input({ actor: who }))));
  // Interleave pipelined bursts and one-at-a-time appends from both sides.
  const sequential = async (ledger: typeof a, who: string) => {
    const out: AppendResult[] = [];
    for (let i = 0; i < 50; i++) out.push(await ledger.record(input({ actor: who })));
    return out;
  };
  const [ra, rb, sa, sb] = await Promise.all([
    burst(a, 'alpha'),
    burst(b, 'beta'),
    sequential(a, 'alpha'),
    sequential(b, 'beta'),
  ]);
  const all = [...ra, ...rb, ...sa, ...sb];
  // The two really raced for the head.
  assert.ok(a.stats.conflicts + b.stats.conflicts > 0, 'the appenders collided');
  const total = 2 * N + 100;
  assert.is(all.filter((r) => r.existing).length, 0);
  assert.is(new Set(all.map((r) => r.seq)).size, total);
  assert.is(new Set(all.map((r) => r.packet.stardust_id)).size, total);
  assert.is(await storedCount(rig.nc), total);
  assert.equal(await a.verify(), { ok: true, count: total });
  // Each packet is stored exactly where its appender was told.
  for (const r of all.filter((_, i) => i % 37 === 0)) {
    const stored = await a.store.bySeq(r.seq);
    assert.ok(stored?.parsed.ok);
    assert.is(stored?.parsed.ok && stored.parsed.packet.stardust_id, r.packet.stardust_id);
  }
});

test('stardust concurrent - both record the same refs at once: one packet per ref, both get it', async () => {
  const { ledger: b } = await rig.another();
  const before = await storedCount(rig.nc);
  const inputs = Array.from({ length: 100 }, () => input());
  const [ra, rb] = await Promise.all([
    Promise.all(inputs.map((i) => rig.ledger.record(i))),
    Promise.all(inputs.map((i) => b.record({ ...i, actor: 'other' }))),
  ]);
  for (let i = 0; i < inputs.length; i++) {
    assert.is(ra[i]!.packet.stardust_id, rb[i]!.packet.stardust_id);
    assert.is(ra[i]!.existing !== rb[i]!.existing, true);
  }
  assert.is(await storedCount(rig.nc), before + 100);
  assert.is((await rig.ledger.verify()).ok, true);
});

test.run();
