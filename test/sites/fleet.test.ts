import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateConfig } from '../../config/internal/validate.ts';
import { findNatsServer } from '../../runtime/index.ts';
import {
  type Fleet,
  formatFleetErrors,
  parseFleet,
  type RenderedHost,
  renderFleet,
  validateFleet,
} from '../../sites/index.ts';
import { tempDir } from '../support/nats.ts';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
const EXEC = { timeout: 20_000 };

function dir(): string {
  const d = tempDir('omniva-fleet-');
  dirs.push(d);
  return d;
}

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fleet file as JSON gives it, typed loosely enough to break on purpose. */
interface RawHost {
  host_id: string;
  address: string;
  roles: string[];
  cluster?: boolean;
  client_port?: number;
}
interface RawFleet {
  hub: Record<string, unknown>;
  ops?: { trusted: { public_key: string; roles: string[] }[] };
  zenith?: { grant_public_key: string };
  sites: { site_id: string; hosts: RawHost[] }[];
  [key: string]: unknown;
}

const example = (): RawFleet =>
  JSON.parse(readFileSync(join(root, 'config/fleet.example.json'), 'utf8'));

function host(f: RawFleet, site: number, index: number): RawHost {
  const h = f.sites[site]?.hosts[index];
  if (!h) throw new Error(`no host ${site}/${index}`);
  return h;
}

/** The example plus a third site run as a 3-server cluster. */
function clusterFleet(): Fleet {
  const f = example();
  f.sites.push({
    site_id: 'site-c',
    hosts: ['c1', 'c2', 'c3'].map((id, i) => ({
      host_id: id,
      address: `10.0.3.${10 + i}`,
      roles: i === 0 ? ['nats', 'zenith', 'ops-agent'] : ['nats', 'zenith', 'editor'],
      cluster: true,
    })),
  });
  return parseFleet(JSON.stringify(f));
}

function errorsOf(input: unknown): string {
  const r = validateFleet(input);
  assert.not.ok(r.ok, 'fleet should be refused');
  return r.ok ? '' : formatFleetErrors(r.errors);
}

function fileOf(hosts: RenderedHost[], host: string, path: string): string {
  const f = hosts.find((h) => h.host_id === host)?.files.find((x) => x.path === path);
  if (!f) throw new Error(`${host} has no ${path}`);
  return f.content;
}

function writeHosts(hosts: RenderedHost[]): string {
  const d = dir();
  for (const h of hosts) {
    for (const f of h.files) {
      const p = join(d, h.host_id, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
  }
  return d;
}

/** Every variable a rendered nats-server.conf names, with a dummy value. */
function envFor(conf: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of conf.matchAll(/\$([A-Z][A-Z0-9_]*)\b/g)) {
    const name = m[1] as string;
    env[name] = name === 'OMNIVA_LEAF_URL' ? 'nats-leaf://u:p@127.0.0.1:7422' : 'x';
  }
  return env;
}

test('fleet validation - the example fleet is valid and gets defaults', () => {
  const r = validateFleet(example());
  assert.ok(r.ok, r.ok ? '' : formatFleetErrors(r.errors));
  if (!r.ok) return;
  assert.is(r.fleet.hub.domain, 'hub');
  assert.is(r.fleet.sites[0]?.client_port, 4222);
  assert.equal(r.warnings, []);
  assert.ok(Object.isFrozen(r.fleet.sites[0]));
  const keyless = example();
  delete keyless.ops;
  delete keyless.zenith;
  const k = validateFleet(keyless);
  assert.ok(k.ok);
  assert.equal(k.ok ? k.warnings.map((w) => w.pointer) : [], [
    '/zenith/grant_public_key',
    '/ops/trusted',
  ]);
});

test('fleet render - each Ops Agent gets the trusted keys, its own units to manage, and one alerting agent per site', () => {
  const hosts = renderFleet(clusterFleet());
  const agent = (h: string) => JSON.parse(fileOf(hosts, h, 'etc/omniva/ops-agent.json')).ops;
  const b1 = agent('b1');
  assert.equal(b1.trusted, example().ops?.trusted);
  assert.equal(b1.process, {
    manager: 'systemd',
    workers: ['zenith', 'scheduler'],
  });
  assert.equal(b1.alerts, { console: true, webhook: { url: 'env:OMNIVA_ALERT_WEBHOOK_URL' } });
  assert.equal(agent('b2').process.workers, ['scraper', 'analyzer', 'editor', 'uploader']);
  // Zenith places work on the hosts that run each kind, and signs grants the uploader trusts.
  const zenith = JSON.parse(fileOf(hosts, 'b1', 'etc/omniva/zenith.json')).cognitive.zenith;
  assert.equal(zenith.placement, {
    scraper: ['b2'],
    analyzer: ['b2'],
    editor: ['b2'],
    uploader: ['b2'],
  });
  assert.is(zenith.grant_seed, 'env:OMNIVA_GRANT_SEED');
  const uploader = JSON.parse(fileOf(hosts, 'b2', 'etc/omniva/uploader.json'));
  assert.equal(uploader.workers.uploader.trusted_keys, [example().zenith?.grant_public_key]);
  assert.is(
    uploader.data_dir,
    '/var/lib/omniva',
    'one data directory per host: the workers share its media',
  );
  assert.match(fileOf(hosts, 'b1', 'etc/omniva/secrets/zenith.env.example'), 'OMNIVA_GRANT_SEED=');
  // Promoted media is imported by one process per host.
  const inbox = (w: string) =>
    JSON.parse(fileOf(hosts, 'b2', `etc/omniva/${w}.json`)).workers.media_inbox;
  assert.equal(['scraper', 'analyzer', 'editor', 'uploader'].map(inbox), [
    true,
    false,
    false,
    false,
  ]);
  assert.is(agent('b2').alerts, undefined, "site-b's alerts are delivered by b1 alone");
  assert.match(
    fileOf(hosts, 'b1', 'etc/omniva/secrets/ops-agent.env.example'),
    'OMNIVA_ALERT_WEBHOOK_URL=',
  );
  const rule = fileOf(hosts, 'b2', 'etc/polkit-1/rules.d/50-omniva-ops-agent.rules');
  assert.match(rule, '/^omniva-worker@[A-Za-z0-9_-]+\\.service$/');
  assert.match(rule, '(verb === "restart" || verb === "stop")');
});

test('fleet validation - schema errors name the JSON pointer, one line each', () => {
  const f = example();
  delete f.hub.leafnode_port;
  host(f, 1, 0).roles.push('mailer');
  (f.sites[0] as { site_id: string }).site_id = 'Site A';
  f.colour = 'blue';
  const text = errorsOf(f);
  const lines = text.split('\n');
  assert.ok(lines.includes('/hub/leafnode_port: is required'), text);
  assert.ok(lines.some((l) => l.startsWith('/sites/1/hosts/0/roles/4: must be one of nats,')));
  assert.ok(lines.some((l) => l.startsWith('/sites/0/site_id: must match ')));
  assert.ok(lines.includes('/colour: is not a known key here'), text);
  assert.is(lines.length, 4, text);
});

test('fleet validation - fleet rules: unique ids, nats and zenith per site, clusters of 3', () => {
  const f = example();
  host(f, 1, 1).host_id = 'a1'; // a1 is site-a's host
  f.sites.push({
    site_id: 'site-a',
    hosts: [{ host_id: 'x1', address: '10.9.0.1', roles: ['editor'] }],
  });
  const text = errorsOf(f);
  assert.match(text, '/sites/1/hosts/1/host_id: host "a1" is defined twice');
  assert.match(text, '/sites/2/site_id: site "site-a" is defined twice');
  assert.match(text, '/sites/2/hosts: site "site-a" has no host with role nats');
  assert.match(text, '/sites/2/hosts: site "site-a" has no host with role zenith');

  const two = example();
  host(two, 1, 1).roles.push('nats');
  assert.match(errorsOf(two), '/sites/1/hosts: site "site-b" has 2 nats hosts: set cluster: true');

  const partial = example();
  host(partial, 1, 0).cluster = true;
  host(partial, 1, 1).roles.push('nats');
  host(partial, 1, 1).cluster = true;
  assert.match(errorsOf(partial), 'it needs exactly 3 nats hosts, all with cluster: true');

  const notNats = example();
  host(notNats, 1, 1).cluster = true;
  assert.match(
    errorsOf(notNats),
    '/sites/1/hosts/1/cluster: only a host with role nats can join a cluster',
  );
  assert.throws(() => parseFleet('{"fleet":'), /\/: not JSON/);
  assert.throws(() => parseFleet('{}'), /\/hub: is required/);
});

test('fleet validation - media workers split over hosts are warned about their store', () => {
  const f = example();
  host(f, 1, 0).roles.push('editor'); // b1 now edits what b2 scrapes
  const r = validateFleet(f);
  assert.ok(r.ok);
  assert.equal(r.ok ? r.warnings : [], [
    {
      pointer: '/sites/1/hosts',
      reason:
        'site "site-b" runs media workers on b1, b2: they must share /var/lib/omniva/media (one file system, e.g. NFS), or run on one host',
    },
  ]);
});

test('fleet validation - two servers cannot listen on one address and port', () => {
  const f = example();
  // site-b's server on site-a's machine and port, and the hub's leafnode port on its client port
  host(f, 1, 0).address = host(f, 0, 0).address;
  f.hub.leafnode_port = f.hub.client_port;
  const text = errorsOf(f);
  assert.match(
    text,
    '/sites/1/hosts/0/client_port: 10.0.1.10:4222 is already taken by /sites/0/hosts/0/client_port',
  );
  assert.match(
    text,
    '/hub/leafnode_port: hub.example.net:4222 is already taken by /hub/client_port',
  );
  // servers sharing a machine are fine with ports of their own
  host(f, 1, 0).client_port = 4223;
  f.hub.leafnode_port = 7422;
  assert.ok(validateFleet(f).ok, 'servers with ports of their own');
});

test('fleet render - the hub gives each site its own account and sources every ledger copy', () => {
  const hosts = renderFleet(clusterFleet());
  const hub = fileOf(hosts, 'hub', 'etc/omniva/nats-server.conf');
  for (const site of ['site-a', 'site-b', 'site-c']) {
    assert.match(hub, `  "${site}": {\n    jetstream: enabled`);
    assert.match(
      hub,
      `{ user: "leaf-${site}", password: $OMNIVA_LEAF_PASS_${site.toUpperCase().replace('-', '_')},`,
    );
    assert.match(
      hub,
      `{ stream: { account: "${site}", subject: "omniva.hub.fleet.deliver.${site}.>" } }`,
    );
  }
  assert.match(hub, 'allowed_connection_types: ["LEAFNODE"]');
  assert.match(hub, 'permissions: { publish: { deny: ["$JS.hub.API.>", "omniva.hub.>"] } }');
  const unit = fileOf(hosts, 'hub', 'etc/systemd/system/omniva-hub-provision.service');
  assert.match(unit, 'Type=oneshot');
  assert.match(
    unit,
    'fleet provision-hub /etc/omniva/fleet.json --url nats://hub.example.net:4222',
  );
  const copy = JSON.parse(fileOf(hosts, 'hub', 'etc/omniva/fleet.json'));
  assert.equal(
    copy.sites.map((s: { site_id: string }) => s.site_id),
    ['site-a', 'site-b', 'site-c'],
  );
});

test('fleet render - output is deterministic and sorted', () => {
  const a = renderFleet(clusterFleet());
  const b = renderFleet(clusterFleet());
  assert.equal(a, b);
  const ids = a.map((h) => h.host_id);
  assert.equal(ids, [...ids].sort());
  assert.equal(ids, ['a1', 'b1', 'b2', 'c1', 'c2', 'c3', 'hub']);
  for (const h of a) {
    const paths = h.files.map((f) => f.path);
    assert.equal(paths, [...paths].sort(), h.host_id);
    const enabled = fileOf(a, h.host_id, 'etc/omniva/enabled-units').trim().split('\n');
    assert.equal(enabled, h.units);
  }
  assert.equal(a.find((h) => h.host_id === 'b2')?.units, [
    'omniva-worker@scraper.service',
    'omniva-worker@analyzer.service',
    'omniva-worker@editor.service',
    'omniva-worker@uploader.service',
    'omniva-ops-agent.service',
  ]);
  // no secret value is rendered: only variable names and a placeholder
  for (const f of a.flatMap((h) => h.files)) assert.not.match(f.content, /password: "/);
});

test('fleet render - every nats-server.conf passes nats-server -t, and needs its secrets', async () => {
  const hosts = renderFleet(clusterFleet());
  const d = writeHosts(hosts);
  const confs = hosts.filter((h) => h.files.some((f) => f.path === 'etc/omniva/nats-server.conf'));
  assert.equal(
    confs.map((h) => h.host_id),
    ['a1', 'b1', 'c1', 'c2', 'c3', 'hub'],
  );
  for (const h of confs) {
    const file = join(d, h.host_id, 'etc/omniva/nats-server.conf');
    const env = { PATH: process.env.PATH ?? '', ...envFor(readFileSync(file, 'utf8')) };
    const r = await run(findNatsServer(), ['-t', '-c', file], { ...EXEC, env });
    assert.match(`${r.stdout}${r.stderr}`, 'is valid', h.host_id);
    // without its environment the server refuses to start: the secrets are really variables
    const bare = await run(findNatsServer(), ['-t', '-c', file], {
      ...EXEC,
      env: { PATH: env.PATH },
    }).catch((e: { code: number; stderr: string }) => e);
    assert.match(String(bare.stderr), 'variable reference', h.host_id);
  }
});

test('fleet render - a cluster site lists its peers as routes; others have no cluster', () => {
  const hosts = renderFleet(clusterFleet());
  const conf = (h: string) => fileOf(hosts, h, 'etc/omniva/nats-server.conf');
  const peers = { c1: '10.0.3.10', c2: '10.0.3.11', c3: '10.0.3.12' };
  for (const [id, address] of Object.entries(peers)) {
    const text = conf(id);
    assert.match(text, `server_name: "omniva-site-c-${id}"`);
    assert.match(text, 'name: "omniva-site-c"');
    assert.match(text, 'domain: "site-c"');
    for (const [other, addr] of Object.entries(peers)) {
      const route = `"nats-route://${addr}:6222"`;
      if (other === id) assert.not.match(text, route, `${id} routes to itself`);
      else assert.match(text, route, `${id} -> ${other}`);
    }
    assert.match(text, `host: "${address}"`);
  }
  for (const id of ['a1', 'b1', 'hub']) assert.not.match(conf(id), 'cluster {');
});

test('fleet render - site servers leaf to the hub; the hub has a leaf user per site', () => {
  const fleet = clusterFleet();
  const hosts = renderFleet(fleet);
  for (const [host, site] of [
    ['a1', 'site-a'],
    ['b1', 'site-b'],
    ['c2', 'site-c'],
  ] as const) {
    const conf = fileOf(hosts, host, 'etc/omniva/nats-server.conf');
    assert.match(conf, 'remotes = [\n    { urls: [ $OMNIVA_LEAF_URL ] }');
    assert.match(conf, `# OMNIVA_LEAF_URL=nats-leaf://leaf-${site}:<`);
    assert.match(conf, `domain: "${site}"`);
    assert.match(conf, `"omniva.${site}.cmd.>"`);
    const env = fileOf(hosts, host, 'etc/omniva/secrets/nats.env.example');
    assert.match(env, `OMNIVA_LEAF_URL=nats-leaf://leaf-${site}:CHANGE_ME@hub.example.net:7422\n`);
  }
  const hub = fileOf(hosts, 'hub', 'etc/omniva/nats-server.conf');
  assert.match(hub, 'leafnodes {\n  host: "hub.example.net"\n  port: 7422');
  assert.match(hub, 'domain: "hub"');
  for (const site of ['site-a', 'site-b', 'site-c']) assert.match(hub, `user: "leaf-${site}"`);
});

test('fleet render - every unit passes systemd-analyze verify', async () => {
  const hosts = renderFleet(clusterFleet());
  const d = writeHosts(hosts);
  let checked = 0;
  for (const h of hosts) {
    const units = join(d, h.host_id, 'etc/systemd/system');
    const paths = h.units.map((u) => join(units, u));
    const r = await run('systemd-analyze', ['verify', ...paths], EXEC).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.is(r.stderr.trim(), '', `${h.host_id}: ${r.stderr}`);
    assert.ok(!('code' in r) || r.code === 0, h.host_id);
    checked += paths.length;
    for (const f of h.files.filter((x) => x.path.endsWith('.service'))) {
      for (const key of [
        'User=omniva',
        'Group=omniva',
        'Restart=on-failure',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'ReadWritePaths=/var/lib/omniva',
        'LimitNOFILE=',
        'After=network-online.target',
      ]) {
        assert.match(f.content, key, `${h.host_id} ${f.path}`);
      }
    }
  }
  assert.ok(checked >= 20, `only ${checked} units checked`);
  // the check is not a no-op: a unit with an unknown key or a missing binary is reported
  const bad = join(d, 'omniva-bad.service');
  writeFileSync(
    bad,
    fileOf(hosts, 'a1', 'etc/systemd/system/omniva-ops-agent.service').replace(
      '/usr/bin/env node',
      '/nonexistent/node',
    ),
  );
  const r = await run('systemd-analyze', ['verify', bad], EXEC).catch(
    (e: { code: number; stderr: string }) => e,
  );
  assert.ok('code' in r && r.code !== 0, 'a missing binary must fail verify');
});

test('fleet render - each process config is a valid omniva config for its site and host', () => {
  const hosts = renderFleet(clusterFleet());
  const b2 = hosts.find((h) => h.host_id === 'b2') as RenderedHost;
  for (const h of hosts.filter((x) => x.site_id)) {
    for (const f of h.files.filter((x) => /^etc\/omniva\/[a-z-]+\.json$/.test(x.path))) {
      const config = JSON.parse(f.content);
      assert.ok(
        validateConfig(config),
        `${h.host_id} ${f.path}: ${JSON.stringify(validateConfig.errors)}`,
      );
      assert.is(config.site_id, h.site_id);
      assert.is(config.host_id, h.host_id);
    }
  }
  const editor = JSON.parse(fileOf([b2], 'b2', 'etc/omniva/editor.json'));
  assert.equal(editor.workers.enabled, ['editor']);
  assert.is(editor.nats.url, 'nats://10.0.2.10:4222', 'b2 has no server: it uses b1');
  assert.is(editor.nats.user, 'worker');
  assert.is(JSON.parse(fileOf(hosts, 'a1', 'etc/omniva/zenith.json')).nats.user, 'zenith');
  assert.is(JSON.parse(fileOf(hosts, 'a1', 'etc/omniva/ops-agent.json')).nats.user, 'agent');
});

const CLI = `
import { Command } from 'commander';
import { registerFleet } from './cli/commands/fleet.ts';
const p = new Command('omniva');
registerFleet(p);
await p.parseAsync(process.argv.slice(1), { from: 'user' });
`;

async function cli(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CLI, ...args], {
    ...EXEC,
    cwd: root,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

test('fleet cli - render writes DIR/<host_id>/ and prints a summary', async () => {
  const out = dir();
  const r = await cli(['fleet', 'render', 'config/fleet.example.json', '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'fleet example: 4 hosts');
  assert.match(r.stdout, 'b2 (site site-b): omniva-worker@scraper.service');
  const conf = readFileSync(join(out, 'hub/etc/omniva/nats-server.conf'), 'utf8');
  assert.match(conf, 'leafnodes {');
  readFileSync(join(out, 'a1/etc/systemd/system/omniva-worker@.service'), 'utf8');
});

test('fleet cli - an invalid fleet exits 1 with one pointer and reason a line', async () => {
  const d = dir();
  const f = example();
  host(f, 0, 0).roles = ['zenith'];
  f.hub.client_port = 'x';
  const file = join(d, 'fleet.json');
  writeFileSync(file, JSON.stringify(f));
  const r = await cli(['fleet', 'render', file, '--out', join(d, 'out')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, '/hub/client_port: must be integer\n');
  assert.not.match(r.stderr, 'has no host with role nats', 'schema errors come first, alone');
  f.hub.client_port = 4222;
  writeFileSync(file, JSON.stringify(f));
  const again = await cli(['fleet', 'render', file, '--out', join(d, 'out')]);
  assert.is(again.code, 1);
  assert.match(again.stderr, '/sites/0/hosts: site "site-a" has no host with role nats\n');
});

test.run();
