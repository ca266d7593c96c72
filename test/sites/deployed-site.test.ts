// A site deployed the way `omniva fleet render` lays it out: its nats-server on the rendered
// config with one user per role, and each unit's process started from its rendered config —
// zenith, the five workers (each its own `omniva run`), the Ops Agent. Nothing runs with
// more rights than its role: the clip pipeline must still go from a watched folder to a
// published clip, and the agent must still carry out a signed command.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issueCommand, type OpsResult } from '../../ops-agent/index.ts';
import { subjects } from '../../protocols/index.ts';
import { createGrantKey, createOpsKey, opsSignerFromSeed } from '../../runtime/index.ts';
import { parseFleet, renderFleet } from '../../sites/index.ts';
import { sharedFixtures } from '../media/support.ts';
import { type ConfServer, freePort, startConfServer } from '../support/fleet-servers.ts';
import { tempDir, waitFor } from '../support/nats.ts';

const cli = new URL('../../cli/omniva.mjs', import.meta.url).pathname;
const PASS: Record<string, string> = {
  zenith: 'z-pass',
  worker: 'w-pass',
  agent: 'a-pass',
  observer: 'o-pass',
  control: 'c-pass',
};
const WORKERS = ['scraper', 'analyzer', 'editor', 'uploader', 'scheduler'];

const root = tempDir('omniva-deployed-');
const data = join(root, 'data');
const watched = join(root, 'inbox');
const procs: { name: string; child: ChildProcess; out: string[] }[] = [];
let server: ConfServer;
let port: number;
const opsKey = createOpsKey();
const grant = createGrantKey();

function start(name: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: root, OMNIVA_DATA_DIR: data, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  procs.push({ name, child, out });
}

test.before(async () => {
  port = await freePort();
  const fleet = parseFleet(
    JSON.stringify({
      fleet: 'deployed',
      hub: { host: '127.0.0.1', client_port: await freePort(), leafnode_port: await freePort() },
      sites: [
        {
          site_id: 'site-a',
          client_port: port,
          hosts: [
            {
              host_id: 'a1',
              address: '127.0.0.1',
              roles: ['nats', 'zenith', ...WORKERS, 'ops-agent'],
            },
          ],
        },
      ],
      users: Object.fromEntries(
        Object.keys(PASS).map((r) => [r, { password: `env:PASS_${r.toUpperCase()}` }]),
      ),
      zenith: { grant_public_key: grant.publicKey },
      ops: { trusted: [{ public_key: opsKey.publicKey, roles: ['admin'] }] },
    }),
  );
  const a1 = renderFleet(fleet).find((h) => h.host_id === 'a1');
  for (const f of a1?.files ?? []) {
    const p = join(root, f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, f.content);
  }
  // The only change to the rendered process configs: zenith watches a folder for videos.
  const zenithFile = join(root, 'etc/omniva/zenith.json');
  const zenith = JSON.parse(readFileSync(zenithFile, 'utf8'));
  zenith.sources = [{ url: watched, poll_minutes: 1 }];
  writeFileSync(zenithFile, JSON.stringify(zenith));

  const conf = readFileSync(join(root, 'etc/omniva/nats-server.conf'), 'utf8');
  server = await startConfServer({
    name: 'a1',
    conf,
    port,
    dir: join(root, 'nats'),
    env: {
      ...Object.fromEntries(Object.entries(PASS).map(([r, p]) => [`PASS_${r.toUpperCase()}`, p])),
      OMNIVA_LEAF_URL: `nats-leaf://leaf:x@127.0.0.1:${await freePort()}`, // no hub here
    },
  });
  const config = (name: string) => join(root, `etc/omniva/${name}.json`);
  start('zenith', ['run', '-c', config('zenith')], {
    OMNIVA_NATS__PASS: PASS.zenith as string,
    OMNIVA_GRANT_SEED: grant.seed,
  });
  // Workers start on what zenith provisioned; until then they exit and systemd restarts
  // them (Restart=on-failure): here, wait for zenith to be up instead.
  await waitFor(
    () => procs[0]?.out.join('').includes('running on') || procs[0]?.child.exitCode !== null,
    30_000,
  );
  for (const w of WORKERS)
    start(w, ['run', '-c', config(w)], { OMNIVA_NATS__PASS: PASS.worker as string });
  start('ops-agent', ['ops', 'agent', '-c', config('ops-agent')], {
    OMNIVA_NATS__PASS: PASS.agent as string,
    OMNIVA_OPS__HEALTH__VOLUMES: root,
  });
});

test.after(async () => {
  for (const p of procs) p.child.kill('SIGTERM');
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          const t = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
          p.child.on('exit', () => {
            clearTimeout(t);
            resolve();
          });
        }),
    ),
  );
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const outputs = () => procs.map((p) => `--- ${p.name}\n${p.out.join('')}`).join('\n');

test('deployed site - every process runs with its role, and a video in the watched folder is published', async () => {
  const fx = await sharedFixtures();
  mkdirSync(watched, { recursive: true });
  copyFileSync(fx.files.talk, join(watched, 'talk.mp4'));
  copyFileSync(fx.files.talkSrt, join(watched, 'talk.srt'));
  const published = join(data, 'published');
  const clip = await waitFor(
    () => {
      const dead = procs.find((p) => p.child.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited:\n${outputs()}`);
      if (!existsSync(published)) return undefined;
      return readdirSync(published, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => readdirSync(join(published, d.name)).map((f) => join(published, d.name, f)))
        .find((f) => f.endsWith('.mp4'));
    },
    140_000,
    500,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${outputs()}`);
  });
  assert.ok(clip, 'a published clip');
  const logs = readFileSync(join(data, 'logs/omniva.log'), 'utf8');
  assert.not.match(`${logs}\n${outputs()}`, /Permissions Violation/i);
});

test('deployed site - the Ops Agent, as its role, carries out a signed command', async () => {
  const nc = await connect({ servers: `127.0.0.1:${port}`, user: 'control', pass: PASS.control });
  try {
    const cmd = issueCommand(opsSignerFromSeed(opsKey.seed), {
      site_id: 'site-a',
      host_id: 'a1',
      action: 'pause_queue',
      args: { queue: 'editor', reason: 'deployed-site test' },
      role: 'admin',
    });
    const reply = await waitFor(
      () =>
        nc
          .request(subjects.opsCmd('site-a', 'a1'), JSON.stringify(cmd), { timeout: 5_000 })
          .catch(() => undefined),
      30_000,
      500,
    );
    const result = JSON.parse(new TextDecoder().decode(reply.data)) as OpsResult;
    assert.is(result.status, 'succeeded', JSON.stringify(result));
  } finally {
    await nc.close();
  }
});

test.run();
