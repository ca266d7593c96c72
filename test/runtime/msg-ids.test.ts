import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit, setup } from 'xstate';
import { makeEnvelope, subjects } from '../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../runtime/index.ts';
import { encodeEnvelope } from '../../runtime/internal/outbound.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, readStream, SITE, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

/** An actor that answers every SampleTask on the event stream with one SampleTaskDone. */
function answering(name: string) {
  const machine = setup({
    types: {} as { events: MessageEvent<'SampleTask'>; emitted: RuntimeEmit },
  }).createMachine({
    on: {
      SampleTask: {
        actions: emit(({ event }) => ({
          type: 'omniva.publish' as const,
          channel: 'evt' as const,
          name: 'done',
          contract: 'SampleTaskDone' as const,
          payload: {
            task_id: event.payload.task_id,
            receipt: name,
            word_count: 1,
            total_tasks: 1,
            done_at: new Date(event.now).toISOString(),
          },
        })),
      },
    },
  });
  return defineActorKind({
    name,
    version: 1,
    machine,
    accepts: ['SampleTask'],
    work: { stream: STREAMS.evt, filter: (site) => subjects.evt(site, 'source', 'task') },
  });
}

test('step - two actors answering the same message both have their answer stored', async () => {
  const a = await startHost(nc, answering('answer-a'));
  const b = await startHost(nc, answering('answer-b'));
  const env = makeEnvelope({
    type: 'SampleTask',
    site_id: SITE,
    payload: {
      task_id: crypto.randomUUID(),
      creator_id: crypto.randomUUID(),
      text: 'one',
      requested_at: '2026-11-22T10:00:00Z',
    },
  });
  const { data, headers } = encodeEnvelope(env, 'msgpack');
  await jetstream(nc).publish(subjects.evt(SITE, 'source', 'task'), data, {
    headers,
    msgID: env.msg_id,
  });
  const stored = await waitFor(async () => {
    const all = await readStream(nc, STREAMS.evt, subjects.evtAny(SITE, 'done'));
    return all.length >= 2 ? all : undefined;
  });
  assert.equal(stored.map((m) => m.subject).sort(), [
    subjects.evt(SITE, 'answer-a', 'done'),
    subjects.evt(SITE, 'answer-b', 'done'),
  ]);
  assert.is.not(stored[0]?.envelope.msg_id, stored[1]?.envelope.msg_id);
  await a.stop();
  await b.stop();
});

test.run();
