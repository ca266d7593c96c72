// Headers built in one step (headersOf) travel exactly like those built with headers().append.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import { headersOf } from '../../runtime/nats-headers.ts';
import { startTestServer, type TestServer } from '../support/nats.ts';

let server: TestServer;
let nc: NatsConnection;

test.before(async () => {
  server = await startTestServer();
  nc = await connect({ servers: server.url });
});

test.after(async () => {
  await nc.close();
  await server.cleanup();
});

const pairs = {
  'Content-Type': 'application/msgpack',
  'Omniva-Type': 'EchoRequest',
  'Omniva-Trace': '9b2f7c1e-2d4a-4f7b-9c3e-5a6b7c8d9e0f',
  'Nats-Msg-Id': '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
};

test('headersOf - a subscriber reads every pair, as from headers built with append', async () => {
  const appended = headers();
  for (const [k, v] of Object.entries(pairs)) appended.append(k, v);
  const received: Record<string, string | undefined>[] = [];
  const sub = nc.subscribe('hdr.test', {
    max: 2,
    callback: (_e, m) => {
      received.push(Object.fromEntries(m.headers?.keys().map((k) => [k, m.headers?.get(k)]) ?? []));
    },
  });
  nc.publish('hdr.test', new Uint8Array([1]), { headers: headersOf(pairs) });
  nc.publish('hdr.test', new Uint8Array([1]), { headers: appended });
  await nc.flush();
  await sub.closed;
  assert.equal(received[0], pairs);
  assert.equal(received[0], received[1]);
});

test('headersOf - JetStream honours Nats-Msg-Id and expectations set through it', async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'HDR', subjects: ['hdr.js.>'] });
  const js = jetstream(nc);
  const first = await js.publish('hdr.js.a', new Uint8Array([1]), { headers: headersOf(pairs) });
  const again = await js.publish('hdr.js.a', new Uint8Array([1]), { headers: headersOf(pairs) });
  assert.is(again.duplicate, true, 'same Nats-Msg-Id is dropped as a duplicate');
  assert.is(again.seq, first.seq);
  const wrong = headersOf({ 'Nats-Expected-Last-Subject-Sequence': String(first.seq + 5) });
  const refused = await js.publish('hdr.js.a', new Uint8Array([2]), { headers: wrong }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(String(refused?.message), /wrong last sequence/i);
});

test('headersOf - a value with CR or LF is refused with a code, naming the header', () => {
  for (const bad of ['a\r\nInjected: 1', 'a\nb', 'a\rb']) {
    try {
      headersOf({ 'Omniva-Trace': bad });
      assert.unreachable('a header value with CR/LF was accepted');
    } catch (e) {
      assert.ok(OmnivaError.is(e));
      assert.is(e.code, 'OMNIVA_ERR_PUBLISH_FAILED');
      assert.is(e.retryable, false);
      assert.match(e.message, /Omniva-Trace/);
    }
  }
});

test.run();
