import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects } from '../../protocols/index.ts';
import { EpochGuard, provisionEpochs } from '../../runtime/fencing.ts';
import { LEASE_BUCKET, provisionLeases } from '../../runtime/lease.ts';
import { STREAMS } from '../../runtime/provision.ts';
import { waitFor } from '../support/nats.ts';
import { type SecuredSite, SITE, startSecuredSite, violation } from '../support/zenith-site.ts';

let site: SecuredSite;
const CMD = subjects.cmd(SITE, 'editor');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cmdCount(): Promise<number> {
  const { nc } = await site.as('zenith');
  return (await (await jetstreamManager(nc)).streams.info(STREAMS.cmd)).state.messages;
}

test.before(async () => {
  site = await startSecuredSite();
  const { nc } = await site.as('zenith');
  await provisionLeases(nc, { ttlMs: 3_000 });
  await provisionEpochs(nc);
});

test.after(async () => {
  await site?.cleanup();
});

test('sites - a worker publishing a command gets a Permissions Violation and nothing is stored', async () => {
  const worker = await site.as('worker');
  const zenith = await site.as('zenith');
  const before = await cmdCount();

  worker.nc.publish(CMD, 'forged job');
  await worker.nc.flush();
  // Through JetStream too: the publish is dropped, so no PubAck ever comes.
  const viaJs = await jetstream(worker.nc, { timeout: 800 })
    .publish(CMD, 'forged job')
    .then(() => 'stored')
    .catch(() => 'refused');
  await waitFor(() => worker.errors.length >= 2, 3_000);
  assert.equal(worker.errors.slice(0, 2), [violation('Publish', CMD), violation('Publish', CMD)]);
  assert.is(viaJs, 'refused');
  assert.is(await cmdCount(), before, 'the stream never saw the worker’s messages');

  const ack = await jetstream(zenith.nc).publish(CMD, 'real job', { msgID: 'zenith-1' });
  assert.is(ack.stream, STREAMS.cmd);
  assert.is(await cmdCount(), before + 1, 'zenith’s command landed');
  assert.equal(zenith.errors, []);
});

test('sites - the worker still consumes and acks commands, publishes events, uses its buckets', async () => {
  const worker = await site.as('worker');
  const zenith = await site.as('zenith');
  await jetstream(zenith.nc).publish(subjects.cmd(SITE, 'scraper'), 'scrape this');

  const wjsm = await jetstreamManager(worker.nc);
  await wjsm.consumers.add(STREAMS.cmd, {
    durable_name: 'scraper',
    filter_subject: subjects.cmd(SITE, 'scraper'),
    ack_policy: AckPolicy.Explicit,
  });
  const consumer = await jetstream(worker.nc).consumers.get(STREAMS.cmd, 'scraper');
  const m = await consumer.next({ expires: 3_000 });
  assert.is(m?.string(), 'scrape this');
  assert.ok(await m?.ackAck(), 'ack confirmed');

  const evt = await jetstream(worker.nc).publish(
    subjects.evt(SITE, 'scraper', 'video_asset_created'),
    '{}',
  );
  assert.is(evt.stream, STREAMS.evt);
  await jetstream(worker.nc).publish(subjects.dlq(SITE, 'scraper'), '{}');

  const snapshots = await new Kvm(worker.nc).open('OMNIVA_SNAPSHOTS');
  const rev = await snapshots.put('scraper.main', 'state');
  assert.is((await snapshots.get('scraper.main'))?.revision, rev);
  const keys: string[] = [];
  for await (const k of await snapshots.keys()) keys.push(k);
  assert.ok(keys.includes('scraper.main'), 'ordered consumers (keys, watch) work');

  // Fencing runs under the worker user: read the lease, record epochs.
  const guard = new EpochGuard({ nc: worker.nc, site: SITE, receiver: 'scraper' });
  await guard.start();
  assert.ok((await guard.check(3)).ok);
  const leases = await new Kvm(worker.nc).open(LEASE_BUCKET);
  assert.is(await leases.get('test.zenith'), null);

  // rpc: a control-plane request answered by the worker on its inbox.
  const control = await site.as('control');
  worker.nc.subscribe(subjects.rpc(SITE, 'scraper', 'status'), {
    callback: (_e, msg) => {
      msg.respond('idle');
    },
  });
  await worker.nc.flush();
  const reply = await control.nc.request(subjects.rpc(SITE, 'scraper', 'status'), '', {
    timeout: 2_000,
  });
  assert.is(reply.string(), 'idle');
  assert.equal(worker.errors, []);
  assert.equal(control.errors, []);
});

test('sites - a worker cannot make the server write into OMNIVA_CMD or the lease', async () => {
  const worker = await site.as('worker');
  const wjsm = await jetstreamManager(worker.nc, { timeout: 800 });
  const refused = (p: Promise<unknown>) => p.then(() => 'done').catch(() => 'refused');
  const before = await cmdCount();
  const { nc: znc } = await site.as('zenith');
  const config = (await (await jetstreamManager(znc)).streams.info(STREAMS.cmd)).config;

  // A stream that republishes onto a cmd subject would be stored in OMNIVA_CMD (2.10 does).
  assert.is(
    await refused(
      wjsm.streams.add({
        name: 'EVIL',
        subjects: ['omniva.test.evt.evil.x'],
        republish: { src: 'omniva.test.evt.evil.x', dest: CMD },
      }),
    ),
    'refused',
  );
  assert.is(
    await refused(wjsm.streams.update(STREAMS.cmd, { sources: [{ name: STREAMS.evt }] })),
    'refused',
  );
  assert.is(await refused(wjsm.streams.purge(STREAMS.cmd)), 'refused');
  assert.is(await refused(wjsm.streams.deleteMessage(STREAMS.cmd, 1)), 'refused');
  assert.is(await refused(wjsm.consumers.delete(STREAMS.cmd, 'scraper')), 'refused');
  const leases = await new Kvm(worker.nc).open(LEASE_BUCKET);
  assert.is(await refused(leases.put('test.zenith', 'mine', { timeout: 800 })), 'refused');

  await sleep(100);
  for (const api of ['STREAM.CREATE.EVIL', 'STREAM.UPDATE.OMNIVA_CMD', 'STREAM.PURGE.OMNIVA_CMD']) {
    assert.ok(worker.errors.includes(violation('Publish', `$JS.API.${api}`)), api);
  }
  assert.ok(worker.errors.includes(violation('Publish', '$KV.OMNIVA_LEASES.test.zenith')));
  assert.is(await cmdCount(), before);
  const after = (await (await jetstreamManager(znc)).streams.info(STREAMS.cmd)).config;
  assert.equal(after, config, 'OMNIVA_CMD is unchanged');
});

test('sites - the observer only watches; agent and control cannot write commands either', async () => {
  const observer = await site.as('observer');
  const seen: string[] = [];
  observer.nc.subscribe(subjects.evtAll(SITE), {
    callback: (_e, m) => {
      seen.push(m.subject);
    },
  });
  observer.nc.subscribe(subjects.cmdAll(SITE));
  await observer.nc.flush();
  const worker = await site.as('worker');
  await jetstream(worker.nc).publish(subjects.evt(SITE, 'editor', 'clip_rendered'), '{}');
  await waitFor(() => seen.length === 1, 3_000);
  observer.nc.publish(subjects.evt(SITE, 'editor', 'clip_rendered'), 'x');
  observer.nc.publish('$JS.API.INFO', '');
  await observer.nc.flush();

  const agent = await site.as('agent');
  const control = await site.as('control');
  for (const r of [agent, control]) {
    r.nc.publish(CMD, 'forged');
    await r.nc.flush();
  }
  await waitFor(
    () => observer.errors.length >= 3 && agent.errors.length && control.errors.length,
    3_000,
  );
  assert.ok(observer.errors.includes(violation('Subscription', subjects.cmdAll(SITE))));
  assert.ok(
    observer.errors.includes(violation('Publish', subjects.evt(SITE, 'editor', 'clip_rendered'))),
  );
  assert.ok(observer.errors.includes(violation('Publish', '$JS.API.INFO')));
  assert.equal(agent.errors, [violation('Publish', CMD)]);
  assert.equal(control.errors, [violation('Publish', CMD)]);
  assert.is(seen.length, 1, 'the observer’s own publish was dropped');
});

test('sites - known limit: reply subjects are unchecked, but nothing valid reaches a cmd consumer', async () => {
  const worker = await site.as('worker');
  const zenith = await site.as('zenith');
  const jsm = await jetstreamManager(zenith.nc);
  const lastBefore = (await jsm.streams.info(STREAMS.cmd)).state.last_seq;
  const forged = headers();
  forged.set('Omniva-Type', 'EditJob');
  // 1. The server sends its PubAck to the reply subject, which OMNIVA_CMD captures.
  worker.nc.publish(subjects.evt(SITE, 'editor', 'forged'), 'looks like a job', {
    headers: forged,
    reply: CMD,
  });
  // 2. A pull request whose reply is a cmd subject: the server delivers there.
  await (await jetstreamManager(zenith.nc)).consumers.add(STREAMS.evt, {
    durable_name: 'redirect',
    filter_subject: subjects.evt(SITE, 'editor', 'forged'),
    ack_policy: AckPolicy.None,
  });
  worker.nc.publish(
    `$JS.API.CONSUMER.MSG.NEXT.${STREAMS.evt}.redirect`,
    JSON.stringify({ batch: 1, expires: 1e9 }),
    { reply: CMD },
  );
  await worker.nc.flush();
  await sleep(500);

  const lastAfter = (await jsm.streams.info(STREAMS.cmd)).state.last_seq;
  const landed = [];
  for (let seq = lastBefore + 1; seq <= lastAfter; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.cmd, { seq }).catch(() => null);
    if (m) landed.push(m);
  }
  // On 2.10.27 both land: the PubAck under the cmd subject, the redirected event under its
  // own evt subject. A server that refused either would still pass.
  assert.ok(landed.length <= 2, `${landed.length} messages landed`);
  if (process.env.OMNIVA_TEST_VERBOSE) {
    for (const m of landed) process.stderr.write(`landed ${m.subject} ${m.string()}\n`);
  }
  for (const m of landed) {
    const onCmd = m.subject.startsWith(`omniva.${SITE}.cmd.`);
    const stamped = m.header?.get('Omniva-Type');
    // What a cmd consumer could receive carries no envelope headers; what carries the forged
    // headers kept its evt subject, which no cmd consumer's filter matches.
    assert.not.ok(onCmd && stamped, `${m.subject} ${stamped} ${m.string()}`);
  }
  assert.equal(worker.errors, [], 'neither trick is a permission violation');
});

test.run();
