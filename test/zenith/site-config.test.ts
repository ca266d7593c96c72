import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { taskTrackerKind } from '../../actors/sample/index.ts';
import { OmnivaError, subjects } from '../../protocols/index.ts';
import { findNatsServer } from '../../runtime/index.ts';
import {
  renderAuthorization,
  renderSiteConfig,
  rolePermissions,
  SITE_ROLES,
} from '../../sites/index.ts';
import { tempDir, waitFor } from '../support/nats.ts';
import { readStream, SITE, STREAMS, sendCommand, startHost } from '../support/site.ts';
import { PASSWORDS, ROLES, startSecuredSite } from '../support/zenith-site.ts';

const run = promisify(execFile);
const dirs: string[] = [];
const children: ChildProcess[] = [];

function dir(): string {
  const d = tempDir('omniva-site-config-');
  dirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const configInvalid = (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_CONFIG_INVALID');

test.after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('sites config - the rendered file passes nats-server -t', async () => {
  const d = dir();
  const file = join(d, 'site.conf');
  const text = renderSiteConfig({ site: 'site-a', roles: ROLES, port: -1, jetstreamDir: d });
  writeFileSync(file, text);
  const r = await run(findNatsServer(), ['-t', '-c', file]);
  assert.match(`${r.stdout}${r.stderr}`, 'is valid');
  assert.match(text, 'domain: "site-a"');
  assert.match(text, '"omniva.site-a.cmd.>"');
  assert.match(text, `password: ${JSON.stringify(ROLES.worker?.password)}`);
  assert.match(text, '# role: worker\n', 'a bcrypt hash gets no plain-text warning');
  assert.match(text, '# role: zenith (plain-text password');
});

test('sites config - only zenith may publish commands; nobody may subscribe to them', () => {
  const cmd = subjects.cmdAll(SITE);
  for (const role of SITE_ROLES) {
    const p = rolePermissions(SITE, role);
    assert.is(p.publish.allow.includes(cmd), role === 'zenith', role);
    assert.ok(!p.publish.allow.some((s) => s === '>' || s === `omniva.${SITE}.>`), role);
    assert.ok(p.subscribe.deny.includes(cmd), role);
    assert.ok(!p.subscribe.allow.some((s) => s === '>' || s.startsWith(`omniva.${SITE}.cmd`)));
    if (role !== 'zenith') {
      assert.ok(!p.publish.allow.some((s) => s.startsWith('$JS.API.STREAM.CREATE')), role);
      assert.ok(!p.publish.allow.includes('$JS.API.>'), role);
    }
  }
  assert.equal(rolePermissions(SITE, 'observer').publish, { allow: [], deny: ['>'] });
});

test('sites config - bad input is refused with OMNIVA_ERR_CONFIG_INVALID', () => {
  const zenith = { user: 'z', password: 'p' };
  assert.throws(() => renderAuthorization(SITE, {} as never), configInvalid);
  assert.throws(
    () => renderAuthorization(SITE, { zenith, worker: { user: 'z', password: 'q' } }),
    configInvalid,
  );
  assert.throws(
    () => renderAuthorization(SITE, { zenith: { user: 'z', password: 'a\nb' } }),
    configInvalid,
  );
  assert.throws(
    () => renderAuthorization(SITE, { zenith: { user: '', password: 'p' } }),
    configInvalid,
  );
  assert.throws(() => renderAuthorization(SITE, { zenith, admin: zenith } as never), configInvalid);
  assert.throws(
    () => renderSiteConfig({ site: SITE, roles: { zenith }, port: 70_000 }),
    configInvalid,
  );
  assert.throws(
    () => renderAuthorization('Site.A', { zenith }),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_SUBJECT_TOKEN'),
  );
  assert.match(renderAuthorization(SITE, { zenith }), 'user: "z"');
});

test('sites config - a server started from the whole file authenticates every role', async () => {
  const d = dir();
  const port = await freePort();
  assert.is.not(port, 4222);
  const file = join(d, 'site.conf');
  writeFileSync(file, renderSiteConfig({ site: SITE, roles: ROLES, port, jetstreamDir: d }));
  const child = spawn(findNatsServer(), ['-c', file], { stdio: 'ignore' });
  children.push(child);
  const url = `nats://127.0.0.1:${port}`;
  const nc = await waitFor(
    () => connect({ servers: url, user: 'zenith', pass: PASSWORDS.zenith }).catch(() => null),
    10_000,
    50,
  );
  await nc.close();
  for (const role of SITE_ROLES) {
    const c = await connect({ servers: url, user: ROLES[role]?.user, pass: PASSWORDS[role] });
    await c.close();
  }
  const wrong = await connect({ servers: url, user: 'worker', pass: 'nope' }).catch((e) => e);
  assert.match(String(wrong), /Authorization Violation/i);
  child.kill('SIGTERM');
});

test('sites config - an actor host runs under the worker user', async () => {
  const site = await startSecuredSite();
  try {
    const worker = await site.as('worker');
    const zenith = await site.as('zenith');
    const receipts = dir();
    const host = await startHost(worker.nc, taskTrackerKind({ receiptsDir: receipts }));
    try {
      await sendCommand(zenith.nc, 'task-tracker', 'SampleTask', {
        task_id: crypto.randomUUID(),
        creator_id: '9d7c1f0e-5a44-4b1e-8f7e-0c1d2e3f4a5b',
        text: 'under the worker user',
        requested_at: '2026-11-22T10:00:00Z',
      });
      const events = await waitFor(async () => {
        const e = await readStream(
          zenith.nc,
          STREAMS.evt,
          subjects.evt(SITE, 'task-tracker', 'task_done'),
        );
        return e.length > 0 ? e : undefined;
      }, 15_000);
      assert.is(events.length, 1);
      assert.equal(worker.errors, [], 'the host needed nothing the worker may not do');
    } finally {
      await host.drain();
    }
  } finally {
    await site.cleanup();
  }
});

test.run();
