// Review suite: timers as absolute deadlines (cancel, re-arm, restart, failover, outbox).
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import { type ActorHost, STREAMS } from '../../runtime/index.ts';
import { alarmKind as sharedAlarmKind } from '../support/alarm-kind.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { Cleanup, faultyConnection, ledgerKey, readRecord, sleep } from '../support/review-kit.ts';
import { connectSite, readStream, SITE, sendCommand, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
const cleanup = new Cleanup();

const alarmKind = (name: string) => sharedAlarmKind(name, ledgerKey);

const pings = (name: string) => readStream(nc, STREAMS.evt, subjects.evt(SITE, name, 'pinged'));

async function context(name: string, key = 'k') {
  return (await readRecord(nc, name, key))?.machine.context as unknown as
    | { fired: number; armedFor?: number }
    | undefined;
}

async function host(name: string, conn = nc, hostId = 'h'): Promise<ActorHost> {
  return cleanup.add(await startHost(conn, alarmKind(name), { hostId }), (h) => h.stop());
}

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await cleanup.run();
  await nc.close();
  await server.cleanup();
});

test('timers - a timer cancelled by a later message never fires', async () => {
  const h = await host('t-cancel');
  await sendCommand(nc, 't-cancel', 'EchoRequest', { text: 'k/arm', n: 500 });
  await waitFor(async () => (await readRecord(nc, 't-cancel', 'k'))?.timers.alarm);
  await sendCommand(nc, 't-cancel', 'EchoRequest', { text: 'k/cancel' });
  await waitFor(async () => {
    const r = await readRecord(nc, 't-cancel', 'k');
    return r && Object.keys(r.timers).length === 0;
  });
  await sleep(1_000);
  assert.equal((await pings('t-cancel')).length, 0, 'no ping published');
  assert.equal((await context('t-cancel'))?.fired, 0);
  assert.equal(h.stats.timers_fired, 0);
  await h.drain();
});

test('timers - a timer re-set to a later time fires once, at the new time', async () => {
  const h = await host('t-rearm');
  await sendCommand(nc, 't-rearm', 'EchoRequest', { text: 'k/arm', n: 300 });
  await sendCommand(nc, 't-rearm', 'EchoRequest', { text: 'k/arm', n: 1_200 });
  await waitFor(async () => (await context('t-rearm'))?.armedFor !== undefined);
  await sleep(700); // past the first deadline
  assert.equal((await pings('t-rearm')).length, 0, 'the first deadline was replaced');
  const events = await waitFor(async () => {
    const e = await pings('t-rearm');
    return e.length > 0 ? e : undefined;
  }, 5_000);
  const armedFor = (await context('t-rearm'))?.armedFor ?? Number.NaN;
  const firedAt = (events[0]!.envelope.payload as { n: number }).n;
  assert.ok(firedAt >= armedFor, `fired at ${firedAt}, deadline ${armedFor}`);
  await sleep(500);
  assert.equal((await pings('t-rearm')).length, 1, 'fired once');
  assert.equal((await context('t-rearm'))?.fired, 1);
  assert.equal(h.stats.timers_fired, 1);
  await h.drain();
});

test('timers - a deadline that passed while no host was running fires when a host starts', async () => {
  const first = await host('t-overdue');
  await sendCommand(nc, 't-overdue', 'EchoRequest', { text: 'k/arm', n: 300 });
  await waitFor(async () => (await readRecord(nc, 't-overdue', 'k'))?.timers.alarm);
  first.stop(); // the process dies before the deadline
  await sleep(800); // ... and stays down past it
  const second = await host('t-overdue');
  const fired = await waitFor(async () => (await pings('t-overdue')).length > 0, 4_000).catch(
    () => false,
  );
  assert.ok(fired, 'the overdue timer never fired after the restart');
  assert.equal(second.stats.timers_fired, 1);
  await second.drain();
});

test('timers - a deadline armed by a host that died fires on a surviving host', async () => {
  const ncB = cleanup.add(await connectSite(server.url), (c) => c.close());
  const a = await host('t-failover', nc, 'a');
  const b = await host('t-failover', ncB, 'b');
  await sendCommand(nc, 't-failover', 'EchoRequest', { text: 'k/arm', n: 800 });
  await waitFor(() => a.stats.processed + b.stats.processed === 1);
  const [armer, survivor] = a.stats.processed === 1 ? [a, b] : [b, a];
  armer.stop(); // dies with the only in-memory copy of the timer
  // Generous: a fix may rescan stored deadlines periodically rather than at once.
  const fired = await waitFor(async () => (await pings('t-failover')).length > 0, 8_000).catch(
    () => false,
  );
  assert.ok(fired, 'the surviving host never fired the stored deadline');
  assert.equal(survivor.stats.timers_fired, 1);
  await survivor.drain();
});

test('timers - the event of a fired timer is published after a crash between persist and publish', async () => {
  // The host persists the record (timer removed, event in the outbox) and dies before the
  // publish is confirmed. A timer is never redelivered, so only the outbox can bring it back.
  const evt = subjects.evt(SITE, 't-outbox', 'pinged');
  let crashed = false;
  const faulty = faultyConnection(nc, (subject) => {
    if (subject !== evt) return 'pass';
    crashed = true;
    return 'hang';
  });
  const first = await host('t-outbox', faulty, 'first');
  await sendCommand(nc, 't-outbox', 'EchoRequest', { text: 'k/arm', n: 200 });
  await waitFor(() => crashed, 5_000);
  first.stop();
  const rec = await readRecord(nc, 't-outbox', 'k');
  assert.equal(rec?.outbox.length, 1, 'the ping is in the stored outbox');
  assert.equal(Object.keys(rec?.timers ?? {}).length, 0, 'the timer is gone from the record');

  const second = await host('t-outbox', nc, 'second');
  // Activity on the instance, as happens in practice, gives a host every chance to notice.
  await sendCommand(nc, 't-outbox', 'EchoRequest', { text: 'k/arm', n: 60_000 });
  const published = await waitFor(async () => (await pings('t-outbox')).length > 0, 4_000).catch(
    () => false,
  );
  assert.ok(published, 'the ping stayed in the stored outbox and was never published');
  await second.drain();
});

test.run();
