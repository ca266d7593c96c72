import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import {
  checkNatsServerVersion,
  createLogger,
  findNatsServer,
  openSite,
  provisionSite,
  STREAMS,
  startNatsServer,
} from '../../runtime/index.ts';
import { tempDir } from '../support/nats.ts';

const siteNats = {
  sync_interval: 'default',
  js_max_mem: '64M',
  js_max_file: '1G',
  connect_timeout_ms: 5000,
};

test('nats-server - versions older than 2.10 are refused with an install hint', () => {
  assert.equal(checkNatsServerVersion('nats-server: v2.10.27'), '2.10.27');
  assert.equal(checkNatsServerVersion('nats-server: v2.11.0'), '2.11.0');
  try {
    checkNatsServerVersion('nats-server: v2.9.10');
    assert.unreachable('2.9 must be refused');
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_NATS_SERVER_TOO_OLD'));
    assert.match((e as Error).message, /2\.9\.10 is too old; 2\.10 or newer/);
    assert.match((e as Error).message, /scripts\/setup/);
  }
});

test('nats-server - a missing binary gives one clear error that says how to install it', () => {
  try {
    findNatsServer(undefined, '/nonexistent-dir');
    assert.unreachable('must throw');
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_NATS_SERVER_MISSING'));
    assert.match((e as Error).message, /not on PATH.*Install nats-server >= 2\.10/);
  }
  try {
    findNatsServer('/nonexistent/nats-server');
    assert.unreachable('must throw');
  } catch (e) {
    assert.match((e as Error).message, /not found at \/nonexistent\/nats-server/);
  }
});

test('nats-server - a too-old binary found by config is refused before it starts', async () => {
  const dir = tempDir();
  const fake = join(dir, 'nats-server');
  writeFileSync(fake, '#!/bin/sh\necho "nats-server: v2.9.10"\n');
  chmodSync(fake, 0o755);
  try {
    await startNatsServer({ dir, bin: fake });
    assert.unreachable('must throw');
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_NATS_SERVER_TOO_OLD'));
  }
});

test('nats-server - embedded: loopback, a free port (never 4222), store under the data dir, stopped on close', async () => {
  const dataDir = tempDir();
  const site = await openSite({
    site: 'emb',
    dataDir,
    nats: siteNats,
    duplicateWindowMs: 120_000,
    effectsTtlMs: 3_600_000,
    log: createLogger({ level: 'silent' }),
  });
  const server = site.server;
  if (!server) {
    await site.close();
    assert.unreachable('started its own server without a URL');
    return;
  }
  assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.not.equal(server.port, 4222);
  assert.ok(existsSync(join(dataDir, 'nats', 'jetstream')), 'JetStream store under the data dir');
  try {
    const jsm = await jetstreamManager(site.nc);
    const names = (await jsm.streams.names().next()).sort();
    assert.equal(names, [
      'KV_OMNIVA_EFFECTS',
      'KV_OMNIVA_OPS_NONCES',
      'KV_OMNIVA_SNAPSHOTS',
      'OBJ_OMNIVA_MEDIA_INBOX',
      STREAMS.cmd,
      STREAMS.dlq,
      STREAMS.evt,
      'STARDUST',
    ]);
  } finally {
    await site.close();
  }
  const after = await connect({ servers: server.url, reconnect: false, timeout: 500 }).then(
    (c) => c.close().then(() => 'connected'),
    () => 'refused',
  );
  assert.equal(after, 'refused', 'the embedded server stopped with the site');
});

test('nats-server - provisioning is idempotent and keeps stored messages', async () => {
  const dir = tempDir();
  const server = await startNatsServer({ dir });
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const o = { site: 'idem', duplicateWindowMs: 120_000, effectsTtlMs: 3_600_000 };
    await provisionSite(nc, jsm, o);
    nc.publish('omniva.idem.evt.x.y', new Uint8Array([1]));
    await nc.flush();
    await provisionSite(nc, jsm, o);
    await provisionSite(nc, jsm, { ...o, duplicateWindowMs: 60_000 });
    const info = await jsm.streams.info(STREAMS.evt);
    assert.equal(info.state.messages, 1);
    assert.equal(info.config.duplicate_window, 60_000 * 1e6, 'settings brought up to date');
  } finally {
    await nc.close();
    await server.stop();
  }
});

test('nats-server - an external server with user/password is reached through nats.url', async () => {
  const dir = tempDir();
  const server = await startNatsServer({
    dir,
    extraConfig: 'authorization { user: "omniva", password: "s3cret" }',
  });
  const log = createLogger({ level: 'silent' });
  const base = {
    site: 'ext',
    dataDir: dir,
    duplicateWindowMs: 120_000,
    effectsTtlMs: 3_600_000,
    log,
  };
  try {
    const site = await openSite({
      ...base,
      nats: { ...siteNats, url: server.url, user: 'omniva', pass: 's3cret' },
    });
    assert.equal(site.server, undefined, 'no embedded server when a URL is given');
    await site.close();
    const refused = await openSite({
      ...base,
      nats: { ...siteNats, url: server.url, user: 'omniva', pass: 'wrong' },
    }).then(
      (s) => s.close().then(() => 'connected'),
      (e: Error) => e.message,
    );
    assert.match(refused, /auth/i);
  } finally {
    await server.stop();
  }
});

test.run();
