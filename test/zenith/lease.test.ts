import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import {
  LEASE_BUCKET,
  Lease,
  type LeaseLostReason,
  type LeaseOptions,
  type LeaseRecord,
  leaseEpoch,
  leaseKey,
  provisionLeases,
} from '../../runtime/lease.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { freeze, sleep } from '../support/zenith-clock.ts';

const TTL = 3_000;
let server: TestServer;
let nc: NatsConnection;
const leases: Lease[] = [];

interface Probe {
  lease: Lease;
  acquired: number[];
  lost: { reason: LeaseLostReason; epoch: number; at: number }[];
}

function probe(holder: string, extra: Partial<LeaseOptions> = {}): Probe {
  const p: Probe = { acquired: [], lost: [] } as unknown as Probe;
  p.lease = new Lease({
    nc,
    site: 'test',
    holder,
    onAcquired: (epoch) => p.acquired.push(epoch),
    onLost: (reason, epoch) => p.lost.push({ reason, epoch, at: performance.now() }),
    ...extra,
  });
  leases.push(p.lease);
  return p;
}

test.before(async () => {
  server = await startTestServer({ domain: 'test' });
  nc = await connect({ servers: server.url });
});

test.after.each(async () => {
  for (const l of leases.splice(0)) await l.stop();
});

test.after(async () => {
  await nc?.close();
  await server?.cleanup();
});

test('lease - the bucket refuses a TTL that differs from the existing one', async () => {
  // A bucket without TTL would never replace a dead leader: a Lease refuses to run on it.
  await new Kvm(nc).create(LEASE_BUCKET, { history: 1 });
  const p = probe('zenith-a');
  const err = await p.lease.start().catch((e: unknown) => e);
  assert.ok(OmnivaError.is(err, 'OMNIVA_ERR_CONFIG_INVALID'), String(err));
  const mismatch = await provisionLeases(nc, { ttlMs: TTL }).catch((e: unknown) => e);
  assert.ok(OmnivaError.is(mismatch, 'OMNIVA_ERR_CONFIG_INVALID'));
  assert.match((mismatch as Error).message, 'TTL of 0 ms, not 3000 ms');
  await (await jetstreamManager(nc)).streams.delete(`KV_${LEASE_BUCKET}`);

  const kv = await provisionLeases(nc, { ttlMs: TTL });
  assert.is((await kv.status()).ttl, TTL);
  await provisionLeases(nc, { ttlMs: TTL }); // idempotent
});

test('lease - keys and holders are checked tokens', () => {
  assert.is(leaseKey('site-a'), 'site-a.zenith');
  assert.is(leaseKey('site-a', 'ops'), 'site-a.ops');
  assert.throws(
    () => leaseKey('Site.A'),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_SUBJECT_TOKEN'),
  );
  assert.throws(
    () => new Lease({ nc, site: 'test', holder: 'a.b' }),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_CONFIG_INVALID'),
  );
});

test('lease - one of two candidates leads; its epoch is the revision of the key it created', async () => {
  const a = probe('zenith-a');
  const b = probe('zenith-b');
  await a.lease.start();
  await waitFor(() => a.acquired.length === 1, 5_000);
  await b.lease.start();
  await sleep(800);
  assert.is(b.acquired.length, 0, 'the standby did not acquire a held lease');
  assert.is(b.lease.state, 'standby');
  assert.ok(a.lease.isLeader());
  assert.is(a.lease.assertLeader(), a.acquired[0]);
  assert.throws(
    () => b.lease.assertLeader(),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_NOT_LEADER'),
  );

  const kv = await new Kvm(nc).open(LEASE_BUCKET);
  await sleep(1_200); // at least one renewal
  const entry = await kv.get(a.lease.key);
  const record = entry?.json() as LeaseRecord;
  assert.is(record.holder, 'zenith-a');
  assert.is(record.epoch, a.acquired[0], 'renewals carry the epoch');
  assert.is(leaseEpoch(record, entry?.revision ?? 0), a.acquired[0]);
  assert.is(leaseEpoch({ ...record, epoch: null }, 41), 41, 'a fresh key: its own revision');
  assert.ok((entry?.revision ?? 0) > (a.acquired[0] ?? 0), 'renewals moved the revision on');
});

test('lease - stop() hands over at once, and the next leader has a higher epoch', async () => {
  const a = probe('zenith-a');
  const b = probe('zenith-b');
  await a.lease.start();
  await waitFor(() => a.acquired.length === 1, 5_000);
  await b.lease.start();
  const stopped = performance.now();
  await a.lease.stop();
  assert.equal(
    a.lost.map((l) => l.reason),
    ['stopped'],
  );
  await waitFor(() => b.acquired.length === 1, 2_000);
  const handover = performance.now() - stopped;
  assert.ok(handover < 1_000, `handover took ${handover} ms`);
  assert.ok((b.acquired[0] ?? 0) > (a.acquired[0] ?? 0), 'epochs only grow');
  assert.not.ok(a.lease.isLeader());
});

test('lease - a renewal refused on revision means superseded; stop() then leaves the key alone', async () => {
  const a = probe('zenith-a');
  await a.lease.start();
  await waitFor(() => a.acquired.length === 1, 5_000);
  const kv = await new Kvm(nc).open(LEASE_BUCKET);
  // Someone else wrote the key (an operator, or a leader that acquired after an expiry).
  const intruder: LeaseRecord = { holder: 'intruder', epoch: null, renewed_at: '' };
  const rev = await kv.put(a.lease.key, JSON.stringify(intruder));
  await waitFor(() => a.lost.length === 1, 3_000);
  assert.is(a.lost[0]?.reason, 'superseded');
  assert.not.ok(a.lease.isLeader());
  await a.lease.stop();
  const entry = await kv.get(a.lease.key);
  assert.is(entry?.revision, rev, 'the intruder key was not deleted by the old holder');
  await kv.delete(a.lease.key);
});

test('lease - a renewal stored without a reply is adopted, not taken for a takeover', async () => {
  const a = probe('zenith-a');
  await a.lease.start();
  await waitFor(() => a.acquired.length === 1, 5_000);
  const epoch = a.acquired[0] as number;
  const kv = await new Kvm(nc).open(LEASE_BUCKET);
  // What a renewal looks like when the server stored it but its PubAck never came back.
  const own: LeaseRecord = { holder: 'zenith-a', epoch, renewed_at: '' };
  const rev = await kv.put(a.lease.key, JSON.stringify(own));
  await waitFor(async () => ((await kv.get(a.lease.key))?.revision ?? 0) > rev, 3_000);
  assert.equal(a.lost, []);
  assert.is(a.lease.epoch, epoch, 'still leader under the same epoch');
  await a.lease.stop();
  assert.is(await kv.get(a.lease.key).then((e) => e?.operation), 'DEL', 'released on stop');
});

test('lease - a leader that cannot renew steps down before the TTL, by its own clock', async () => {
  const a = probe('zenith-a');
  await a.lease.start();
  await waitFor(() => a.acquired.length === 1, 5_000);
  await sleep(150);
  // The server stalls: renewals hang, nothing expires the key, and yet the leader must quit.
  const paused = performance.now();
  process.kill(server.pid, 'SIGSTOP');
  try {
    await waitFor(() => a.lost.length === 1, TTL + 2_000, 10);
  } finally {
    process.kill(server.pid, 'SIGCONT');
  }
  const after = (a.lost[0]?.at ?? 0) - paused;
  assert.is(a.lost[0]?.reason, 'expired');
  // The last renewal was sent at most renewMs (1 s) before the pause; step-down comes at
  // TTL − margin (2.5 s) after it, so strictly before the TTL measured from the pause.
  assert.ok(after < TTL - 300, `stepped down ${Math.round(after)} ms into the stall`);
  assert.ok(after > TTL / 2 - 700, `stepped down too early (${Math.round(after)} ms)`);
  await waitFor(() => a.acquired.length === 2, 8_000);
  assert.ok((a.acquired[1] ?? 0) > (a.acquired[0] ?? 0), 'it came back under a new epoch');
});

test('lease - a frozen leader wakes up knowing it lost, before any timer runs', async () => {
  const a = probe('zenith-a');
  await a.lease.start();
  await waitFor(() => a.acquired.length === 1, 5_000);
  freeze(TTL + 300); // like SIGSTOP or a long GC pause: no timer, no I/O
  assert.is(a.lease.epoch, undefined, 'the first look after waking says: not leader');
  assert.equal(
    a.lost.map((l) => l.reason),
    ['expired'],
  );
  assert.throws(
    () => a.lease.assertLeader(),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_NOT_LEADER'),
  );
  // The key expired on the server meanwhile, so it is acquired again under a new epoch.
  await waitFor(() => a.acquired.length === 2, 5_000);
  assert.ok((a.acquired[1] ?? 0) > (a.acquired[0] ?? 0));
});

test.run();
