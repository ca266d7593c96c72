import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError, validateContract } from '../../protocols/index.ts';
import type { AppendInput } from '../../runtime/stardust/index.ts';
import { waitFor } from '../support/nats.ts';
import { collectAdvisories, input, type Rig, startRig, storedCount } from './support.ts';

let rig: Rig;
let advisories: ReturnType<typeof collectAdvisories>;
test.before(async () => {
  rig = await startRig();
  advisories = collectAdvisories(rig.nc);
});
test.after(async () => {
  advisories?.stop();
  await rig?.close();
});
test.before.each(() => {
  advisories.items.length = 0;
});

async function rejects(bad: unknown): Promise<OmnivaError> {
  try {
    await rig.ledger.append(bad as AppendInput);
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_STARDUST_INVALID'), String(e));
    return e as OmnivaError;
  }
  throw new Error('append was accepted');
}

test('stardust advisories - a packet that breaks the schema is refused and reported', async () => {
  const before = await storedCount(rig.nc);
  const e = await rejects({ ...input(), kind: 'Bad Kind', entities: { Video: ['x'] } });
  assert.match(e.message, /\/kind/);
  assert.ok(e.info?.violations?.some((v) => v.pointer.startsWith('/entities')));
  await waitFor(() => advisories.items.length === 1);
  const adv = advisories.items[0]!;
  assert.is(adv.type, 'StardustInconsistency');
  assert.is(adv.reason_code, 'OMNIVA_ERR_STARDUST_INVALID');
  assert.is(adv.kind, 'Bad Kind');
  const { type: _t, ...payload } = adv;
  assert.ok(validateContract('StardustInconsistency', payload).ok);
  assert.is(await storedCount(rig.nc), before);
});

test('stardust advisories - other refusals: missing fields, extra fields, a blob in the payload, NaN', async () => {
  const { actor: _a, ...noActor } = input();
  await rejects(noActor);
  await rejects({ ...input(), extra: 1 });
  await rejects({ ...input(), trace_id: 'not-a-uuid' });
  await rejects({ ...input(), _meta_parents: ['x'] });
  const blob = await rejects({ ...input(), payload: { frame: 'x'.repeat(70_000) } });
  assert.match(blob.message, /references, not blobs/);
  const nan = await rejects({ ...input(), payload: { score: Number.NaN } });
  assert.match(nan.message, /canonicalised/);
  await waitFor(() => advisories.items.length === 6);
});

test('stardust advisories - an unknown parent is accepted and reported with the packet', async () => {
  const known = await rig.ledger.append(input());
  const ghost = randomUUID();
  const child = await rig.ledger.append(input({ _meta_parents: [known.stardust_id, ghost] }));
  await rig.ledger.settle();
  await waitFor(() => advisories.items.length === 1);
  const adv = advisories.items[0]!;
  assert.is(adv.reason_code, 'OMNIVA_ERR_STARDUST_UNKNOWN_PARENT');
  assert.is(adv.stardust_id, child.stardust_id);
  assert.equal(adv.unknown_parents, [ghost]);
  assert.is(adv.ref, child.ref);
  assert.equal(await rig.ledger.get(child.stardust_id), child);
});

test('stardust advisories - a parent written by another process is known, not reported', async () => {
  const other = await rig.another();
  const parent = await other.ledger.append(input({ actor: 'elsewhere' }));
  await rig.ledger.append(input({ _meta_parents: [parent.stardust_id] }));
  await rig.ledger.settle();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(advisories.items, []);
});

test.run();
