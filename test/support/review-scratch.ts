import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { subjects } from '../../protocols/index.ts';
import { startTestServer } from './nats.ts';
import { connectSite, SITE, STREAMS, sendCommand } from './site.ts';

const server = await startTestServer({ domain: SITE });
const nc = await connectSite(server.url);
const jsm = await jetstreamManager(nc);
for (const [name, backoff] of [
  ['withbackoff', [1e8, 2e8, 4e8]],
  ['nobackoff', undefined],
] as const) {
  await jsm.consumers.add(STREAMS.cmd, {
    durable_name: name,
    filter_subject: subjects.cmd(SITE, name),
    ack_policy: AckPolicy.Explicit,
    ack_wait: 2e9,
    max_deliver: 4,
    ...(backoff ? { backoff: [...backoff] } : {}),
  });
  const c = await jetstream(nc).consumers.get(STREAMS.cmd, name);
  const it = await c.consume({ max_messages: 8 });
  const t0 = Date.now();
  const log: string[] = [];
  (async () => {
    for await (const m of it) log.push(`${Date.now() - t0}ms#${m.info.deliveryCount}`);
  })();
  await sendCommand(nc, name, 'EchoRequest', { text: 'x' });
  await new Promise((r) => setTimeout(r, 1000));
  console.log(name, log);
  it.stop();
}
await server.cleanup();
process.exit(0);
