import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assign, setup } from 'xstate';
import { subjects } from '../../protocols/index.ts';
import {
  BUCKETS,
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { decodeRecord } from '../../runtime/internal/record.ts';
import { alarmKind as sharedAlarmKind } from '../support/alarm-kind.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, sendCommand, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;

const alarmKind = sharedAlarmKind('alarm');

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

test('timers - a deadline stored in the snapshot fires after a restart, at its absolute time', async () => {
  const first = await startHost(nc, alarmKind);
  await sendCommand(nc, 'alarm', 'EchoRequest', { text: 'arm', n: 1_500 });
  await waitFor(
    async () => ((await first.inspect()).context as { armedFor?: number }).armedFor !== undefined,
  );
  const armedFor = ((await first.inspect()).context as { armedFor: number }).armedFor;
  first.stop(); // as if the process died: timers are gone with it
  assert.equal(
    (await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'alarm', 'pinged'))).length,
    0,
  );

  const second = await startHost(nc, alarmKind);
  const events = await waitFor(async () => {
    const e = await readStream(nc, STREAMS.evt, subjects.evt(SITE, 'alarm', 'pinged'));
    return e.length > 0 ? e : undefined;
  }, 10_000);
  const firedAt = (events[0]!.envelope.payload as { n: number }).n;
  assert.ok(firedAt >= armedFor, `fired at ${firedAt}, not before the deadline ${armedFor}`);
  assert.ok(firedAt - armedFor < 2_000, 'fired close to the deadline');
  const view = await second.inspect();
  assert.equal((view.context as { fired: number }).fired, 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(second.stats.timers_fired, 1, 'the timer fired once');
  await second.drain();
});

const counterV1 = setup({
  types: {} as {
    context: { count: number };
    events: MessageEvent<'EchoRequest'>;
    emitted: RuntimeEmit;
  },
}).createMachine({
  context: { count: 0 },
  initial: 'counting',
  states: {
    counting: {
      on: { EchoRequest: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
    },
  },
});

const counterV2 = setup({
  types: {} as {
    context: { total: number };
    events: MessageEvent<'EchoRequest'>;
    emitted: RuntimeEmit;
  },
}).createMachine({
  context: { total: 0 },
  initial: 'active',
  states: {
    active: {
      on: { EchoRequest: { actions: assign({ total: ({ context }) => context.total + 1 }) } },
    },
  },
});

function counterKind(
  version: number,
  machine: typeof counterV1 | typeof counterV2,
  migrate?: (p: unknown, v: number) => unknown,
) {
  return defineActorKind({
    name: 'counter',
    version,
    machine,
    accepts: ['EchoRequest'],
    work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, 'counter') },
    ...(migrate ? { migrate } : {}),
  });
}

test('versions - a machine change with a migration restores the old snapshot', async () => {
  const v1 = await startHost(nc, counterKind(1, counterV1));
  await sendCommand(nc, 'counter', 'EchoRequest', { text: 'a' });
  await sendCommand(nc, 'counter', 'EchoRequest', { text: 'b' });
  await waitFor(async () => ((await v1.inspect()).context as { count: number }).count === 2);
  await v1.drain();

  const migrate = (p: unknown) => {
    const old = p as { context: { count: number } };
    return { ...old, value: 'active', context: { total: old.context.count } };
  };
  const v2 = await startHost(nc, counterKind(2, counterV2, migrate));
  await sendCommand(nc, 'counter', 'EchoRequest', { text: 'c' });
  await waitFor(async () => ((await v2.inspect()).context as { total?: number }).total === 3);
  await v2.drain();
});

test('versions - without a migration the old snapshot is archived and the instance starts afresh', async () => {
  const v3 = await startHost(nc, counterKind(3, counterV1));
  await sendCommand(nc, 'counter', 'EchoRequest', { text: 'd' });
  await waitFor(async () => ((await v3.inspect()).context as { count?: number }).count === 1);
  const kv = await new Kvm(nc).open(BUCKETS.snapshots);
  const archived = await kv.get('archive.counter.main.v2');
  assert.ok(
    archived && archived.operation === 'PUT',
    'the v2 record is kept under archive.counter.main.v2',
  );
  const rec = decodeRecord(archived.value) as unknown as {
    machine: { context: { total: number } };
  };
  assert.equal(rec.machine.context.total, 3);
  await v3.drain();
});

test.run();
