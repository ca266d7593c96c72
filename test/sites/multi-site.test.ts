// A fleet on loopback, every server running the config `omniva fleet render` wrote: the hub,
// site-a (one server) and site-b (a 3-server cluster, R3 ledger). What is checked: sites cut
// off from the hub (it is stopped) keep processing; the hub's STARDUST_ALL catches up when it
// is back, nothing lost or duplicated; a site's
// Zenith cannot command another site; a site's users cannot read another site's subjects,
// and neither can a server that joins the hub with a site's leafnode credentials and no
// permissions of its own.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emit, setup } from 'xstate';
import { subjects } from '../../protocols/index.ts';
import {
  type ActorHost,
  defineActorKind,
  FLEET_LEDGER_STREAM,
  type HubAccess,
  type MessageEvent,
  openSite,
  type RuntimeEmit,
  type SiteConnection,
  STARDUST_STREAM,
  STREAMS,
  siteLedgerCopy,
} from '../../runtime/index.ts';
import {
  type Fleet,
  HUB_ADMIN_USER,
  hubSiteAdminUser,
  leafUser,
  parseFleet,
  type RenderedHost,
  renderFleet,
} from '../../sites/index.ts';
import { type ConfServer, freePort, startConfServer } from '../support/fleet-servers.ts';
import { tempDir, waitFor } from '../support/nats.ts';
import { sendCommand, silentLog, startHost } from '../support/site.ts';

const PASS = 'test-secret';
const run = promisify(execFile);
const cli = new URL('../../cli/omniva.mjs', import.meta.url).pathname;
const dirs: string[] = [];
const servers: ConfServer[] = [];
const conns: NatsConnection[] = [];
const sites: Record<string, SiteConnection> = {};
let relayHost: ActorHost;
let fleet: Fleet;
let access: HubAccess;
let hubPort: number;
let hubLeafPort: number;
let fleetFile: string;
const ports: Record<string, number> = {};

/** Relays each EchoRequest command as an `echo_done` event: work that leaves packets behind. */
const relayKind = defineActorKind({
  name: 'relay',
  version: 1,
  machine: setup({
    types: {} as { events: MessageEvent<'EchoRequest'>; emitted: RuntimeEmit },
  }).createMachine({
    on: {
      EchoRequest: {
        actions: emit(({ event }) => ({
          type: 'omniva.publish' as const,
          channel: 'evt' as const,
          name: 'echo_done',
          contract: 'EchoReply' as const,
          payload: { text: event.payload.text },
        })),
      },
    },
  }),
  accepts: ['EchoRequest'],
  work: { stream: STREAMS.cmd, filter: (site) => subjects.cmd(site, 'relay') },
});

const fileOf = (hosts: RenderedHost[], host: string, path: string) => {
  const f = hosts.find((h) => h.host_id === host)?.files.find((x) => x.path === path);
  if (!f) throw new Error(`${host} has no ${path}`);
  return f.content;
};

/** Every secret the rendered configs read, as the EnvironmentFile would give them. */
function envFor(conf: string, leafUrl?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of conf.matchAll(/\$([A-Z][A-Z0-9_]*)\b/g)) env[m[1] as string] = PASS;
  if (leafUrl) env.OMNIVA_LEAF_URL = leafUrl;
  return env;
}

const user = (url: string, name: string) =>
  connect({ servers: url, user: name, pass: PASS, noAsyncTraces: true }).then((nc) => {
    conns.push(nc);
    return nc;
  });

/** `omniva fleet <command> <fleet file>` against the hub, as the hub operator. */
async function omniva(command: string, ...args: string[]) {
  const r = await run(
    process.execPath,
    [cli, 'fleet', command, fleetFile, '--url', access.url, ...args],
    { env: { ...process.env, OMNIVA_HUB_ADMIN_PASS: PASS }, timeout: 30_000 },
  ).then(
    (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return r;
}

const siteUrl = (host: string) => `nats://127.0.0.1:${ports[host]}`;

async function openFleetSite(site: string, host: string, replicas: number) {
  const dir = tempDir('omniva-fleet-site-');
  dirs.push(dir);
  // A fresh 3-server cluster needs a moment to elect its JetStream meta leader (on a busy
  // machine it has been seen to answer "no suitable peers for placement" for over 90 s).
  let last: unknown;
  sites[site] = await waitFor(
    () =>
      openSite({
        site,
        dataDir: dir,
        replicas,
        nats: {
          url: siteUrl(host),
          user: 'zenith',
          pass: PASS,
          sync_interval: 'default',
          js_max_mem: '64M',
          js_max_file: '1G',
          connect_timeout_ms: 5_000,
        },
        duplicateWindowMs: 120_000,
        effectsTtlMs: 3_600_000,
        log: silentLog,
      }).catch((e) => {
        last = e;
        return undefined;
      }),
    180_000,
    250,
  ).catch((e) => {
    throw new Error(`${site} did not open: ${(e as Error).message}; last error: ${String(last)}`);
  });
}

async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
}

/** The Nats-Msg-Id (= stardust_id) of every message in a stream. */
async function msgIds(nc: NatsConnection, stream: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const ids: string[] = [];
  if (info.state.messages === 0) return ids;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    ids.push(m?.header?.get('Nats-Msg-Id') ?? `missing@${seq}`);
  }
  return ids;
}

async function relay(texts: string[]) {
  const nc = sites['site-a']?.nc as NatsConnection;
  for (const text of texts)
    await sendCommand(nc, 'relay', 'EchoRequest', { text }, { site: 'site-a' });
}

async function echoed(): Promise<number> {
  const nc = sites['site-a']?.nc as NatsConnection;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAMS.evt, {
    subjects_filter: subjects.evt('site-a', 'relay', 'echo_done'),
  });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

test.before(async () => {
  hubPort = await freePort();
  hubLeafPort = await freePort();
  for (const h of ['a1', 'b1', 'b2', 'b3']) ports[h] = await freePort();
  const cluster: Record<string, number> = {};
  for (const h of ['b1', 'b2', 'b3']) cluster[h] = await freePort();
  fleet = parseFleet(
    JSON.stringify({
      fleet: 'loopback',
      hub: { host: '127.0.0.1', client_port: hubPort, leafnode_port: hubLeafPort },
      sites: [
        {
          site_id: 'site-a',
          client_port: ports.a1,
          hosts: [{ host_id: 'a1', address: '127.0.0.1', roles: ['nats', 'zenith', 'ops-agent'] }],
        },
        {
          site_id: 'site-b',
          hosts: ['b1', 'b2', 'b3'].map((h) => ({
            host_id: h,
            address: '127.0.0.1',
            roles: ['nats', 'zenith'],
            cluster: true,
            client_port: ports[h],
            cluster_port: cluster[h],
          })),
        },
      ],
    }),
  );
  const hosts = renderFleet(fleet);
  const conf = (h: string) => fileOf(hosts, h, 'etc/omniva/nats-server.conf');
  const dir = (name: string) => {
    const d = tempDir(`omniva-fleet-${name}-`);
    dirs.push(d);
    return d;
  };
  const hubConf = conf('hub');
  servers.push(
    await startConfServer({
      name: 'hub',
      conf: hubConf,
      port: hubPort,
      env: envFor(hubConf),
      dir: dir('hub'),
    }),
  );
  const leaf = (site: string, port: number) =>
    `nats-leaf://${leafUser(site)}:${PASS}@127.0.0.1:${port}`;
  servers.push(
    await startConfServer({
      name: 'a1',
      conf: conf('a1'),
      port: ports.a1 as number,
      env: envFor(conf('a1'), leaf('site-a', hubLeafPort)),
      dir: dir('a1'),
    }),
  );
  servers.push(
    ...(await Promise.all(
      ['b1', 'b2', 'b3'].map((h) =>
        startConfServer({
          name: h,
          conf: conf(h),
          port: ports[h] as number,
          env: envFor(conf(h), leaf('site-b', hubLeafPort)),
          dir: dir(h),
        }),
      ),
    )),
  );
  await openFleetSite('site-a', 'a1', 1);
  await openFleetSite('site-b', 'b1', 3);
  access = {
    url: `nats://127.0.0.1:${hubPort}`,
    password: PASS,
    hub: 'hub',
    fleetUser: HUB_ADMIN_USER,
    siteUser: hubSiteAdminUser,
  };
  // What the hub's oneshot unit runs; the leafnodes may still be joining, so until it works.
  fleetFile = join(dir('fleet-file'), 'fleet.json');
  writeFileSync(fleetFile, JSON.stringify(fleet));
  let provision = { code: 0, stdout: '', stderr: '' };
  await waitFor(
    async () => {
      provision = await omniva('provision-hub');
      return provision.code === 0;
    },
    30_000,
    500,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; provision-hub said: ${provision.stderr}`);
  });
  relayHost = await startHost(sites['site-a']?.nc as NatsConnection, relayKind, {
    site: 'site-a',
    ledger: sites['site-a']?.ledger,
  });
});

test.after(async () => {
  await relayHost?.drain().catch(() => undefined);
  for (const nc of conns) await nc.close().catch(() => undefined);
  for (const s of Object.values(sites)) await s.close().catch(() => undefined);
  for (const s of servers.reverse()) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** STARDUST_ALL holds exactly the two sites' ledgers: same ids, each once. */
async function caughtUp(): Promise<{ all: string[]; a: string[]; b: string[] }> {
  const hub = await user(access.url, HUB_ADMIN_USER);
  const a = await msgIds(sites['site-a']?.nc as NatsConnection, STARDUST_STREAM);
  const b = await msgIds(sites['site-b']?.nc as NatsConnection, STARDUST_STREAM);
  await waitFor(
    async () => (await streamCount(hub, FLEET_LEDGER_STREAM)) >= a.length + b.length,
    120_000,
    100,
  );
  return { all: await msgIds(hub, FLEET_LEDGER_STREAM), a, b };
}

test('multi-site - the hub sources every site ledger into STARDUST_ALL, the R3 site included', async () => {
  await relay(['one', 'two', 'three']);
  await waitFor(async () => (await echoed()) === 3, 20_000);
  await sites['site-b']?.ledger.append({
    kind: 'note',
    ref: 'b-first',
    actor: 'test',
    trace_id: randomUUID(),
    payload: { note: 'from the cluster' },
  });
  const { all, a, b } = await caughtUp();
  assert.ok(a.length >= 3, `site-a recorded its work (${a.length} packets)`);
  assert.ok(b.length >= 1, 'site-b recorded its packet');
  assert.equal([...all].sort(), [...a, ...b].sort(), 'STARDUST_ALL = site-a ∪ site-b');
  const info = await (await jetstreamManager(sites['site-b']?.nc as NatsConnection)).streams.info(
    STARDUST_STREAM,
  );
  assert.is(info.config.num_replicas, 3, "site-b's ledger is R3");
  assert.is(info.cluster?.replicas?.length, 2, 'two followers besides the leader');
});

test('multi-site - sites cut off from the hub keep processing; the hub catches up, nothing lost or twice', async () => {
  const before = await caughtUp();
  const hub = servers.find((s) => s.name === 'hub') as ConfServer;
  await hub.stop();
  const texts = Array.from({ length: 20 }, (_, i) => `cut-${i}`);
  await relay(texts);
  // site-a does its work alone: commands consumed, events out, packets in its own ledger…
  await waitFor(async () => (await echoed()) === 3 + texts.length, 30_000);
  const aDuring = await streamCount(sites['site-a']?.nc as NatsConnection, STARDUST_STREAM);
  assert.ok(aDuring >= before.a.length + texts.length, 'site-a kept recording while cut off');
  // …and so does the R3 site.
  await sites['site-b']?.ledger.append({
    kind: 'note',
    ref: 'b-during',
    actor: 'test',
    trace_id: randomUUID(),
    payload: { note: 'while the hub is away' },
  });
  const down = await omniva('status');
  assert.is(down.code, 1, 'the fleet view says the hub cannot be reached');

  servers[servers.indexOf(hub)] = await hub.restart();
  const { all, a, b } = await caughtUp();
  assert.is(new Set(all).size, all.length, 'no packet twice in STARDUST_ALL');
  assert.equal([...all].sort(), [...a, ...b].sort(), 'every packet of both sites, nothing else');
  assert.ok(a.length >= aDuring, 'site-a lost nothing');
  assert.ok(b.length >= before.b.length + 1, 'site-b lost nothing');
  const after = await omniva('status');
  assert.is(after.code, 0, after.stderr);
  assert.match(after.stdout, `STARDUST_ALL: ${all.length} packets`);
  assert.match(after.stdout, `site-a: ${a.length} packets on the hub, last heard`);
  assert.match(after.stdout, `site-b: ${b.length} packets on the hub, last heard`);
});

test("multi-site - site-a's Zenith cannot command site-b", async () => {
  const zenithA = await user(siteUrl('a1'), 'zenith');
  const cmdB = await streamCount(sites['site-b']?.nc as NatsConnection, STREAMS.cmd);
  const js = jetstream(zenithA, { timeout: 2_000 });
  const refused = await js.publish(subjects.cmd('site-b', 'relay'), 'forged').then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(refused, 'the publish to site-b is refused');
  // The same Zenith commands its own site (the refusal is about the site, not the user).
  const own = await js.publish(subjects.cmd('site-a', 'nobody'), 'ok');
  assert.ok(own.seq > 0, "site-a's Zenith still writes its own cmd subjects");
  await new Promise((r) => setTimeout(r, 500));
  assert.is(await streamCount(sites['site-b']?.nc as NatsConnection, STREAMS.cmd), cmdB);
});

test("multi-site - site-a's users cannot read site-b's subjects; site-b's own observer can", async () => {
  const observerA = await user(siteUrl('a1'), 'observer');
  const errors: string[] = [];
  const sub = observerA.subscribe(subjects.evtAll('site-b'));
  sub.closed.then(
    (e) => e && errors.push(String(e)),
    (e) => errors.push(String(e)),
  );
  const observerB = await user(siteUrl('b2'), 'observer');
  const seenB: string[] = [];
  observerB.subscribe(subjects.evtAll('site-b'), {
    callback: (_e, m) => {
      seenB.push(m.subject);
    },
  });
  await observerB.flush();
  await observerA.flush().catch(() => undefined);
  const zenithB = await user(siteUrl('b3'), 'zenith');
  zenithB.publish(subjects.evt('site-b', 'relay', 'echo_done'), 'secret');
  await zenithB.flush();
  await waitFor(() => seenB.length > 0 && errors.length > 0, 10_000);
  assert.match(errors.join(' '), /permission/i, 'site-a observer: permissions violation');
});

test('multi-site - a server joining with site-a’s leafnode user sees and reaches nothing of site-b or the hub', async () => {
  // A site server with no permissions at all (as if its own config were lost or tampered
  // with): everything it sends lands in site-a's account on the hub and nowhere else.
  const port = await freePort();
  const dir = tempDir('omniva-fleet-rogue-');
  dirs.push(dir);
  const rogue = await startConfServer({
    name: 'rogue',
    port,
    dir,
    env: {},
    conf: [
      'host: "127.0.0.1"',
      `port: ${port}`,
      `leafnodes { remotes = [ { url: "nats-leaf://${leafUser('site-a')}:${PASS}@127.0.0.1:${hubLeafPort}" } ] }`,
      '',
    ].join('\n'),
  });
  servers.push(rogue);
  const nc = await connect({ servers: `nats://127.0.0.1:${port}`, noAsyncTraces: true });
  conns.push(nc);
  const seen: string[] = [];
  nc.subscribe('>', {
    callback: (_e, m) => {
      seen.push(m.subject);
    },
  });
  await nc.flush();
  // Wait until this leafnode is part of site-a's account: it sees site-a's traffic.
  const zenithA = await user(siteUrl('a1'), 'zenith');
  await waitFor(async () => {
    zenithA.publish(subjects.evt('site-a', 'probe', 'ping'), 'x');
    await zenithA.flush();
    await new Promise((r) => setTimeout(r, 100));
    return seen.some((s) => s.startsWith('omniva.site-a.'));
  }, 15_000);
  const zenithB = await user(siteUrl('b1'), 'zenith');
  zenithB.publish(subjects.evt('site-b', 'relay', 'echo_done'), 'secret');
  await zenithB.flush();
  const cmdB = await streamCount(sites['site-b']?.nc as NatsConnection, STREAMS.cmd);
  nc.publish(subjects.cmd('site-b', 'relay'), 'forged');
  const noAnswer = async (subject: string) =>
    nc.request(subject, '', { timeout: 1_500 }).then(
      () => `${subject} answered`,
      (e: Error) => e.message,
    );
  assert.match(await noAnswer('$JS.site-b.API.STREAM.INFO.OMNIVA_CMD'), /no responders|timeout/i);
  assert.match(await noAnswer('$JS.hub.API.INFO'), /no responders|timeout/i);
  assert.match(
    await noAnswer(`$JS.hub.API.STREAM.DELETE.${siteLedgerCopy('site-a')}`),
    /no responders|timeout/i,
  );
  await new Promise((r) => setTimeout(r, 300));
  // Its own publishes loop back to it; site-b's event must not arrive.
  const fromB = subjects.evt('site-b', 'relay', 'echo_done');
  assert.not.ok(seen.includes(fromB), `saw site-b's ${fromB}`);
  assert.ok(seen.includes(subjects.cmd('site-b', 'relay')), 'the subscription does see traffic');
  assert.is(await streamCount(sites['site-b']?.nc as NatsConnection, STREAMS.cmd), cmdB);
  // And the leafnode user cannot log in to the hub as an ordinary client.
  const asClient = await connect({
    servers: access.url,
    user: leafUser('site-a'),
    pass: PASS,
    reconnect: false,
  }).then(
    (c) => c.close().then(() => 'connected'),
    (e: Error) => e.message,
  );
  assert.match(asClient, /authorization/i);
});

test.run();
