import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError, validateContract } from '../../protocols/index.ts';
import {
  EPOCH_BUCKET,
  type EpochCheck,
  EpochGuard,
  epochSeenKey,
  provisionEpochs,
} from '../../runtime/fencing.ts';
import { startTestServer, type TestServer } from '../support/nats.ts';

let server: TestServer;
let nc: NatsConnection;

async function guard(receiver: string, issuer?: string): Promise<EpochGuard> {
  const g = new EpochGuard({ nc, site: 'test', receiver, ...(issuer ? { issuer } : {}) });
  await g.start();
  return g;
}

function rejected(r: EpochCheck): { rejected: string; error: OmnivaError } {
  if (r.ok) throw new Error(`expected a rejection, got ok for epoch ${r.epoch}`);
  return r;
}

test.before(async () => {
  server = await startTestServer({ domain: 'test' });
  nc = await connect({ servers: server.url });
  await provisionEpochs(nc);
  await provisionEpochs(nc); // idempotent
});

test.after(async () => {
  await nc?.close();
  await server?.cleanup();
});

test('fencing - newer and equal epochs pass, an older one is refused with the reason', async () => {
  const g = await guard('editor');
  assert.equal(await g.check(5), { ok: true, epoch: 5 });
  assert.equal(await g.check(5), { ok: true, epoch: 5 }, 'the same leader keeps going');
  assert.equal(await g.check(9), { ok: true, epoch: 9 });
  const r = rejected(await g.check(5));
  assert.is(r.error.code, 'OMNIVA_ERR_STALE_EPOCH');
  assert.is(r.error.retryable, false);
  assert.is(
    r.rejected,
    'stale epoch 5: editor has already accepted epoch 9 from zenith at site test, so this command comes from a deposed leader',
  );
  assert.is(r.error.message, r.rejected);
  assert.equal(r.error.info, {
    epoch: 5,
    newest: 9,
    site: 'test',
    issuer: 'zenith',
    receiver: 'editor',
  });
  assert.is(g.newest, 9);
});

test('fencing - the newest epoch is durable: a restarted receiver still refuses the old one', async () => {
  const kv = await new Kvm(nc).open(EPOCH_BUCKET);
  const stored = (await kv.get(epochSeenKey('test', 'zenith', 'editor')))?.json() as {
    epoch: number;
  };
  assert.is(stored.epoch, 9);
  const restarted = await guard('editor');
  assert.is(restarted.newest, 9, 'loaded at start');
  assert.is(rejected(await restarted.check(8)).error.code, 'OMNIVA_ERR_STALE_EPOCH');
});

test('fencing - replicas of one receiver share the record: what one accepted fences the other', async () => {
  const r1 = await guard('uploader');
  const r2 = await guard('uploader');
  assert.ok((await r1.check(3)).ok);
  assert.ok((await r2.check(3)).ok);
  assert.ok((await r1.check(4)).ok, 'replica 1 sees the new leader first');
  const r = rejected(await r2.check(3));
  assert.match(r.rejected, 'uploader has already accepted epoch 4');
});

test('fencing - receivers and issuers are fenced independently', async () => {
  const scraper = await guard('scraper');
  const opsAgent = await guard('scraper', 'ops');
  assert.ok((await scraper.check(2)).ok, 'scraper has not seen editor epochs');
  assert.ok((await opsAgent.check(1)).ok, 'another authority has its own epochs');
  assert.is(epochSeenKey('test', 'ops', 'scraper'), 'seen.test.ops.scraper');
  assert.throws(
    () => epochSeenKey('test', 'zenith', 'a.b'),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_SUBJECT_TOKEN'),
  );
});

test('fencing - racing replicas never accept an epoch below one already accepted', async () => {
  const replicas = await Promise.all([guard('scheduler'), guard('scheduler'), guard('scheduler')]);
  // A check that starts after an acceptance of epoch E has completed must not accept below E.
  // (Checks that overlap may finish in any order: each one's read is its linearisation point.)
  let highestCompleted = 0;
  const violations: string[] = [];
  const epochs = Array.from({ length: 60 }, (_, i) => 1 + ((i * 7) % 20));
  await Promise.all(
    epochs.map(async (epoch, i) => {
      const floor = highestCompleted;
      const r = await (replicas[i % replicas.length] as EpochGuard).check(epoch);
      if (!r.ok) return;
      if (r.epoch < floor) violations.push(`accepted ${r.epoch} after ${floor} was accepted`);
      highestCompleted = Math.max(highestCompleted, r.epoch);
    }),
  );
  assert.equal(violations, []);
  assert.is(highestCompleted, 20);
  const after = await guard('scheduler');
  assert.is(after.newest, 20);
});

test('fencing - a malformed epoch is refused as schema-invalid', async () => {
  const g = await guard('editor');
  for (const bad of [0, -1, 1.5, '7', null, undefined, Number.NaN]) {
    const r = rejected(await g.check(bad));
    assert.is(r.error.code, 'OMNIVA_ERR_SCHEMA_INVALID', String(bad));
  }
});

test('fencing - an unreachable record is a retryable error, never a guess', async () => {
  const unstarted = new EpochGuard({ nc, site: 'test', receiver: 'editor' });
  const e1 = await unstarted.check(1).catch((e: unknown) => e);
  assert.ok(OmnivaError.is(e1, 'OMNIVA_ERR_FENCING_UNAVAILABLE'));
  const own = await connect({ servers: server.url });
  const g = new EpochGuard({ nc: own, site: 'test', receiver: 'editor' });
  await g.start();
  await own.close();
  const e2 = await g.check(10).catch((e: unknown) => e);
  assert.ok(OmnivaError.is(e2, 'OMNIVA_ERR_FENCING_UNAVAILABLE'), String(e2));
  assert.is((e2 as OmnivaError).retryable, true);
});

const META = {
  epoch: 12,
  issued_by: 'zenith-host1-4711',
  evidence: ['0b8e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e'],
  rollback: { action: 'cancel_render', notes: 'delete the partial clip and requeue the job' },
};

test('ZenithCommandMeta - a complete stamp is valid', () => {
  assert.equal(validateContract('ZenithCommandMeta', META), { ok: true, value: META });
});

test('ZenithCommandMeta - epoch, evidence and rollback are enforced', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...META, epoch: 0 }, '/epoch'],
    [{ ...META, epoch: 1.5 }, '/epoch'],
    [{ ...META, evidence: [] }, '/evidence'],
    [{ ...META, evidence: ['not-a-uuid'] }, '/evidence/0'],
    [{ ...META, evidence: [META.evidence[0], META.evidence[0]] }, '/evidence'],
    [{ ...META, issued_by: 'zenith.host1' }, '/issued_by'],
    [{ ...META, rollback: { action: 'noop' } }, '/rollback/notes'],
    [{ ...META, rollback: { action: '', notes: '' } }, '/rollback/action'],
    [{ ...META, extra: true }, '/extra'],
  ];
  for (const [doc, pointer] of cases) {
    const r = validateContract('ZenithCommandMeta', doc);
    assert.not.ok(r.ok, JSON.stringify(doc));
    if (!r.ok) {
      assert.ok(
        r.violations.some((v) => v.pointer === pointer),
        `${pointer}: ${JSON.stringify(r.violations)}`,
      );
    }
  }
  const { epoch: _e, ...noEpoch } = META;
  assert.not.ok(validateContract('ZenithCommandMeta', noEpoch).ok);
});

test.run();
