import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ConfigOverrides, loadConfig } from '../../config/index.ts';
import { OmnivaError } from '../../protocols/index.ts';
import { configError, scratchDir } from './support.ts';

const scratch = scratchDir();
test.after(() => scratch.remove());

const base = { cwd: scratch.dir, env: {} };

test('config errors - error carries code, retryable and violations', () => {
  const err = configError(() => loadConfig({ ...base, env: { OMNIVA_CODEC: 'xml' } }));
  assert.is(err.code, 'OMNIVA_ERR_CONFIG_INVALID');
  assert.is(err.retryable, false);
  assert.ok(OmnivaError.is(err, 'OMNIVA_ERR_CONFIG_INVALID'));
  assert.is(err.info?.violations, err.violations);
  assert.equal(err.violations, [
    { source: 'OMNIVA_CODEC', pointer: '/codec', reason: 'must be one of msgpack, json' },
  ]);
});

test('config errors - bad int from env names the variable and its value', () => {
  const err = configError(() => loadConfig({ ...base, env: { OMNIVA_RUNTIME__MAX_DELIVER: '0' } }));
  assert.match(
    err.message,
    'runtime.max_deliver: must be >= 1 (from OMNIVA_RUNTIME__MAX_DELIVER=0)',
  );
});

test('config errors - non-numeric env value is reported, not silently dropped', () => {
  const err = configError(() =>
    loadConfig({
      ...base,
      env: { OMNIVA_RUNTIME__ACK_WAIT_MS: 'soon', OMNIVA_RUNTIME__BACKOFF_MS: '100,x' },
    }),
  );
  assert.match(
    err.message,
    'runtime.ack_wait_ms: must be integer (from OMNIVA_RUNTIME__ACK_WAIT_MS=soon)',
  );
  assert.match(
    err.message,
    'runtime.backoff_ms[1]: must be integer (from OMNIVA_RUNTIME__BACKOFF_MS=100,x)',
  );
});

test('config errors - bad enum from file names the file and the value', () => {
  const file = scratch.write('enum.json', JSON.stringify({ log: { level: 'loud' } }));
  const err = configError(() => loadConfig({ ...base, file }));
  assert.match(
    err.message,
    `log.level: must be one of fatal, error, warn, info, debug, trace, silent, got "loud" (from ${file})`,
  );
  assert.equal(err.violations[0]?.source, file);
  assert.equal(err.violations[0]?.pointer, '/log/level');
});

test('config errors - unknown key in file is named with a suggestion', () => {
  const file = scratch.write('key.json', JSON.stringify({ runtime: { max_delivr: 3 } }));
  const err = configError(() => loadConfig({ ...base, file }));
  assert.match(
    err.message,
    `runtime.max_delivr: unknown key; did you mean max_deliver? (from ${file})`,
  );
});

test('config errors - unknown OMNIVA_ variable suggests the closest name', () => {
  const err = configError(() =>
    loadConfig({ ...base, env: { OMNIVA_RUNTIME_ACK_WAIT_MS: '1000', OMNIVA_STIE_ID: 'a' } }),
  );
  assert.match(
    err.message,
    'OMNIVA_RUNTIME_ACK_WAIT_MS: unknown configuration variable; did you mean OMNIVA_RUNTIME__ACK_WAIT_MS?',
  );
  assert.match(
    err.message,
    'OMNIVA_STIE_ID: unknown configuration variable; did you mean OMNIVA_SITE_ID?',
  );
});

test('config errors - unrelated OMNIVA_ variable gets no misleading suggestion', () => {
  const err = configError(() => loadConfig({ ...base, env: { OMNIVA_ZZZZZZZZZZZZ: '1' } }));
  assert.match(
    err.message,
    'OMNIVA_ZZZZZZZZZZZZ: unknown configuration variable; run `omniva config --help`',
  );
});

test('config errors - a variable named by a secret reference is a secret, not an unknown setting', () => {
  const env = {
    OMNIVA_GRANT_SEED: 'SA…',
    OMNIVA_COGNITIVE__ZENITH__GRANT_SEED: 'env:OMNIVA_GRANT_SEED',
  };
  const config = loadConfig({ ...base, env });
  assert.is(config.cognitive.zenith.grant_seed, 'env:OMNIVA_GRANT_SEED');
  // The same variable without a reference to it is still refused.
  const err = configError(() => loadConfig({ ...base, env: { OMNIVA_GRANT_SEED: 'SA…' } }));
  assert.match(err.message, 'OMNIVA_GRANT_SEED: unknown configuration variable');
});

test('config errors - a section variable points to its keys', () => {
  const err = configError(() => loadConfig({ ...base, env: { OMNIVA_RUNTIME: '{}' } }));
  assert.match(
    err.message,
    'OMNIVA_RUNTIME: runtime is a section; set its keys as OMNIVA_RUNTIME__<KEY>',
  );
});

test('config errors - missing named file is an error, with who named it', () => {
  const missing = join(scratch.dir, 'nope.json');
  const viaOption = configError(() => loadConfig({ ...base, file: missing }));
  assert.match(viaOption.message, `${missing}: config file not found (named by the file option)`);
  const viaEnv = configError(() => loadConfig({ ...base, env: { OMNIVA_CONFIG: 'nope.json' } }));
  assert.match(viaEnv.message, `${missing}: config file not found (named by OMNIVA_CONFIG)`);
});

test('config errors - invalid JSON names the file', () => {
  const file = scratch.write('broken.json', '{ "site_id": "a", }');
  const err = configError(() => loadConfig({ ...base, file }));
  assert.match(err.message, `${file}: invalid JSON: `);
  const array = scratch.write('array.json', '[]');
  assert.match(
    configError(() => loadConfig({ ...base, file: array })).message,
    `${array}: must contain a JSON object`,
  );
});

test('config errors - bad override names the override', () => {
  const overrides = { site_id: 'Site A', runtime: { max_in_flight: 0 } } satisfies ConfigOverrides;
  const err = configError(() => loadConfig({ ...base, overrides }));
  assert.match(err.message, 'site_id: must match pattern');
  assert.match(err.message, 'got "Site A" (from override)');
  assert.match(err.message, 'runtime.max_in_flight: must be >= 1, got 0 (from override)');
});

test('config errors - every problem is listed at once, one line each', () => {
  const file = scratch.write('many.json', JSON.stringify({ codec: 'xml' }));
  const err = configError(() =>
    loadConfig({
      ...base,
      file,
      env: { OMNIVA_NATS__JS_MAX_MEM: 'lots', OMNIVA_BOGUS: '1' },
      overrides: { runtime: { dedupe_window: -1 } },
    }),
  );
  const lines = err.message.split('\n').slice(1);
  assert.is(lines.length, 4, err.message);
  assert.is(err.violations.length, 4);
  assert.ok(lines.every((l) => l.startsWith('  - ')));
});

test('config errors - secrets are never echoed', () => {
  const file = scratch.write('secret.json', JSON.stringify({ nats: { pass: 12345 } }));
  const fromFile = configError(() => loadConfig({ ...base, file }));
  assert.match(fromFile.message, 'nats.pass: must be string, got [redacted]');
  assert.not.match(fromFile.message, '12345');
});

test('config errors - a config file cannot swap prototypes', () => {
  const file = scratch.write('proto.json', '{ "__proto__": { "site_id": "evil" } }');
  const err = configError(() => loadConfig({ ...base, file }));
  assert.match(err.message, '__proto__: unknown key');
  assert.is(err.violations.length, 1, err.message);
  assert.is((Object.prototype as Record<string, unknown>).site_id, undefined);
});

test.run();
