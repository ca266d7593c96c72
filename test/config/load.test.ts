import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sanitiseHostId } from '../../config/defaults.ts';
import { defaultConfig, loadConfig } from '../../config/index.ts';
import { validateConfig } from '../../config/internal/validate.ts';
import { scratchDir } from './support.ts';

const scratch = scratchDir();
test.after(() => scratch.remove());

// An empty working directory and environment: only what a test passes in counts.
const base = { cwd: scratch.dir, env: {} };

test('config - defaults come from the schema and are valid', () => {
  const cfg = defaultConfig();
  assert.ok(validateConfig(structuredClone(cfg)), JSON.stringify(validateConfig.errors));
  assert.is(cfg.site_id, 'local');
  assert.is(cfg.codec, 'msgpack');
  assert.is(cfg.data_dir, '.omniva');
  assert.is(cfg.nats.url, undefined);
  assert.is(cfg.nats.sync_interval, 'default');
  assert.is(cfg.nats.js_max_mem, '256M');
  assert.is(cfg.nats.connect_timeout_ms, 5000);
  assert.is(cfg.log.level, 'info');
  assert.equal(cfg.runtime.backoff_ms, [1000, 5000, 15000]);
  assert.is(cfg.runtime.effects_ttl_ms, 604_800_000);
});

test('config - host_id defaults to the sanitised hostname', () => {
  assert.is(loadConfig(base).host_id, sanitiseHostId(hostname()));
  assert.is(sanitiseHostId('Build_Box.example.com'), 'build-box');
  assert.is(sanitiseHostId('-x-'), 'x');
  assert.is(sanitiseHostId('...'), 'host');
  assert.is(sanitiseHostId('a'.repeat(80)).length, 63);
});

test('config - data_dir resolves against cwd', () => {
  const cfg = loadConfig(base);
  assert.ok(isAbsolute(cfg.data_dir));
  assert.is(cfg.data_dir, join(scratch.dir, '.omniva'));
  assert.is(
    loadConfig({ ...base, overrides: { data_dir: '/srv/omniva' } }).data_dir,
    '/srv/omniva',
  );
});

test('config - file overrides defaults and keeps the rest', () => {
  const file = scratch.write(
    'file.json',
    JSON.stringify({
      site_id: 'site-a',
      nats: { url: 'nats://hub:4222' },
      runtime: { max_deliver: 9 },
    }),
  );
  const cfg = loadConfig({ ...base, file });
  assert.is(cfg.site_id, 'site-a');
  assert.is(cfg.nats.url, 'nats://hub:4222');
  assert.is(cfg.nats.js_max_file, '8G');
  assert.is(cfg.runtime.max_deliver, 9);
  assert.is(cfg.runtime.ack_wait_ms, 30000);
});

test('config - file found through OMNIVA_CONFIG and in the working directory', () => {
  const named = scratch.write('named.json', JSON.stringify({ codec: 'json' }));
  assert.is(loadConfig({ ...base, env: { OMNIVA_CONFIG: named } }).codec, 'json');

  const dir = scratchDir();
  try {
    dir.write('omniva.config.json', JSON.stringify({ site_id: 'implicit' }));
    assert.is(loadConfig({ cwd: dir.dir, env: {} }).site_id, 'implicit');
  } finally {
    dir.remove();
  }
});

test('config - explicit file option wins over OMNIVA_CONFIG', () => {
  const a = scratch.write('a.json', JSON.stringify({ site_id: 'from-option' }));
  const b = scratch.write('b.json', JSON.stringify({ site_id: 'from-env' }));
  assert.is(loadConfig({ ...base, file: a, env: { OMNIVA_CONFIG: b } }).site_id, 'from-option');
});

test('config - environment overrides file', () => {
  const file = scratch.write(
    'env.json',
    JSON.stringify({ site_id: 'from-file', log: { level: 'warn' } }),
  );
  const cfg = loadConfig({
    ...base,
    file,
    env: { OMNIVA_SITE_ID: 'from-env', OMNIVA_LOG__LEVEL: 'debug', OMNIVA_DATA_DIR: 'state' },
  });
  assert.is(cfg.site_id, 'from-env');
  assert.is(cfg.log.level, 'debug');
  assert.is(cfg.data_dir, join(scratch.dir, 'state'));
});

test('config - overrides win over environment and file', () => {
  const file = scratch.write('ovr.json', JSON.stringify({ runtime: { max_in_flight: 2 } }));
  const cfg = loadConfig({
    ...base,
    file,
    env: { OMNIVA_RUNTIME__MAX_IN_FLIGHT: '8' },
    overrides: { runtime: { max_in_flight: 16 }, data_dir: undefined },
  });
  assert.is(cfg.runtime.max_in_flight, 16);
  assert.is(cfg.data_dir, join(scratch.dir, '.omniva'), 'undefined override leaves the key alone');
});

test('config - NATS_URL maps to nats.url and OMNIVA_NATS__URL wins', () => {
  assert.is(loadConfig({ ...base, env: { NATS_URL: 'nats://a:4222' } }).nats.url, 'nats://a:4222');
  const both = { NATS_URL: 'nats://a:4222', OMNIVA_NATS__URL: 'nats://b:4222' };
  assert.is(loadConfig({ ...base, env: both }).nats.url, 'nats://b:4222');
  const file = scratch.write('url.json', JSON.stringify({ nats: { url: 'nats://file:4222' } }));
  assert.is(
    loadConfig({ ...base, file, env: { NATS_URL: 'nats://env:4222' } }).nats.url,
    'nats://env:4222',
  );
});

test('config - env values are coerced by schema type', () => {
  const cfg = loadConfig({
    ...base,
    env: {
      OMNIVA_RUNTIME__ACK_WAIT_MS: '45000',
      OMNIVA_RUNTIME__BACKOFF_MS: '500, 2000,10000',
      OMNIVA_NATS__CONNECT_TIMEOUT_MS: ' 750 ',
      OMNIVA_NATS__SYNC_INTERVAL: '2s',
    },
  });
  assert.is(cfg.runtime.ack_wait_ms, 45000);
  assert.equal(cfg.runtime.backoff_ms, [500, 2000, 10000]);
  assert.is(cfg.nats.connect_timeout_ms, 750);
  assert.is(cfg.nats.sync_interval, '2s');
});

test('config - empty variables and harness variables are ignored', () => {
  const cfg = loadConfig({
    ...base,
    env: { OMNIVA_SITE_ID: '', OMNIVA_TEST_FILE_TIMEOUT_MS: '1000', OMNIVA_TEST_LOG: 'debug' },
  });
  assert.is(cfg.site_id, 'local');
});

test('config - password variables for servers and commands are not config, a typo still is', () => {
  const secrets = {
    OMNIVA_NATS_PASS_ZENITH: 's1',
    OMNIVA_LEAF_PASS_SITE_A: 's2',
    OMNIVA_LEAF_URL: 'nats-leaf://leaf:s3@hub:7422',
    OMNIVA_HUB_ADMIN_PASS: 's4',
    OMNIVA_PROMOTE_PASS: 's5',
  };
  assert.is(loadConfig({ ...base, env: secrets }).site_id, 'local');
  assert.throws(
    () => loadConfig({ ...base, env: { ...secrets, OMNIVA_PROMOTE_PASSWORD: 'x' } }),
    /OMNIVA_PROMOTE_PASSWORD: unknown configuration variable/,
  );
});

test('config - result is deep-frozen and caller arrays stay mutable', () => {
  const backoff = [1, 2];
  const cfg = loadConfig({ ...base, overrides: { runtime: { backoff_ms: backoff } } });
  assert.ok(Object.isFrozen(cfg));
  assert.ok(Object.isFrozen(cfg.nats));
  assert.ok(Object.isFrozen(cfg.runtime.backoff_ms));
  assert.throws(() => {
    (cfg as { site_id: string }).site_id = 'x';
  });
  assert.throws(() => {
    (cfg.runtime.backoff_ms as number[]).push(3);
  });
  assert.not.ok(Object.isFrozen(backoff));
});

test('config - loads are independent of each other', () => {
  const a = loadConfig({ ...base, env: { OMNIVA_RUNTIME__BACKOFF_MS: '7' } });
  const b = loadConfig(base);
  assert.equal(a.runtime.backoff_ms, [7]);
  assert.equal(b.runtime.backoff_ms, [1000, 5000, 15000]);
});

test.run();
