import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { trustedIssuers } from '../../cli/actions/ops-agent.ts';
import { loadConfig, opsSlice } from '../../config/index.ts';
import { createOpsKey } from '../../runtime/index.ts';
import { configError, scratchDir } from './support.ts';

const scratch = scratchDir();
test.after(() => scratch.remove());

const base = { cwd: scratch.dir, env: {} };
const key = createOpsKey().publicKey;
const other = createOpsKey().publicKey;

test('ops config - defaults: admin may do all six, operator the reversible ones, no process manager', () => {
  const cfg = loadConfig(base);
  assert.equal(cfg.ops.roles, {
    admin: [
      'restart_worker',
      'drain_worker',
      'pause_queue',
      'resume_queue',
      'cancel_run',
      'retry_stage',
    ],
    operator: ['pause_queue', 'resume_queue', 'retry_stage'],
  });
  assert.equal(cfg.ops.trusted, []);
  assert.is(cfg.ops.action_timeout_ms, 90_000);
  assert.equal(cfg.ops.process, {
    manager: 'none',
    systemctl_bin: '/usr/bin/systemctl',
    unit: 'omniva-worker@{worker}.service',
    workers: [],
  });
  assert.is(cfg.ops.health.interval_ms, 5000);
  assert.is(cfg.ops.alerts.window_ms, 300_000);
  assert.equal(cfg.ops.health.volumes, [], 'the schema leaves volumes to the slice');
  assert.equal(opsSlice(cfg).health.volumes, [cfg.data_dir], 'health watches data_dir by default');
  const own = loadConfig({ ...base, overrides: { ops: { health: { volumes: ['/srv'] } } } });
  assert.equal(opsSlice(own).health.volumes, ['/srv']);
});

test('ops config - a file sets keys and roles; roles merge over the default table', () => {
  const file = scratch.write(
    'ops.json',
    JSON.stringify({
      ops: {
        trusted: [{ public_key: key, roles: ['operator', 'auditor'], name: 'control plane' }],
        roles: { operator: ['pause_queue'], auditor: [] },
        process: { manager: 'systemd', workers: ['editor'] },
      },
    }),
  );
  const cfg = loadConfig({
    ...base,
    file,
    env: { OMNIVA_OPS__ACTION_TIMEOUT_MS: '120000', OMNIVA_OPS__ALERTS__CONSOLE: 'true' },
  });
  assert.equal(cfg.ops.roles.operator, ['pause_queue']);
  assert.equal(cfg.ops.roles.auditor, []);
  assert.is(cfg.ops.roles.admin?.length, 6);
  assert.is(cfg.ops.process.manager, 'systemd');
  assert.is(cfg.ops.action_timeout_ms, 120_000);
  assert.is(cfg.ops.alerts.console, true, 'booleans are read from the environment');
  assert.equal(trustedIssuers(cfg.ops), [{ publicKey: key, roles: ['operator', 'auditor'] }]);
});

test('ops config - schema errors are one readable line each, with their source', () => {
  const file = scratch.write(
    'bad-ops.json',
    JSON.stringify({
      ops: {
        trusted: [{ public_key: 'SOAKEYTHATISREALLYASEED', roles: ['admin'] }, { public_key: key }],
        roles: { operator: ['pause_queue', 'reboot'] },
        process: { systemctl_bin: 'systemctl', unit: 'omniva-worker.service', manger: 'systemd' },
        alerts: { webhook: { url: 'ftp://hooks.example/secret-token' } },
      },
    }),
  );
  const err = configError(() =>
    loadConfig({
      ...base,
      file,
      env: { OMNIVA_OPS__PROCESS__MANAGER: 'upstart', OMNIVA_OPS__ACTION_TIMEOUT_MS: '5' },
    }),
  );
  const lines = err.message.split('\n').slice(1);
  const has = (text: string) =>
    assert.ok(
      lines.some((l) => l.includes(text)),
      `expected a line with ${text}:\n${err.message}`,
    );
  has(
    'ops.process.manager: must be one of systemd, none (from OMNIVA_OPS__PROCESS__MANAGER=upstart)',
  );
  has('ops.action_timeout_ms: must be >= 1000 (from OMNIVA_OPS__ACTION_TIMEOUT_MS=5)');
  has(
    `ops.trusted[0].public_key: must match pattern "^[A-Z][A-Z2-7]{55}$", got [redacted] (from ${file})`,
  );
  has(`ops.trusted[1]: must have required property 'roles'`);
  has(
    'ops.roles.operator[1]: must be one of restart_worker, drain_worker, pause_queue, resume_queue, cancel_run, retry_stage, got "reboot"',
  );
  has('ops.process.systemctl_bin: must match pattern "^/", got "systemctl"');
  has('ops.process.unit: must match pattern');
  has('ops.process.manger: unknown key; did you mean manager?');
  has('ops.alerts.webhook.url: must match pattern');
  assert.not.match(err.message, 'SOAKEYTHATISREALLYASEED', 'a pasted seed is never echoed');
  assert.not.match(err.message, 'secret-token', 'a webhook URL is never echoed');
  assert.is(lines.length, err.violations.length);
  assert.ok(lines.every((l) => l.startsWith('  - ')));
});

test('ops config - trusted keys are checked beyond the schema, each problem on its line', () => {
  const corrupt = `${key.slice(0, 10)}${key[10] === 'B' ? 'C' : 'B'}${key.slice(11)}`;
  const cfg = loadConfig({
    ...base,
    overrides: {
      ops: {
        trusted: [
          { public_key: corrupt, roles: ['admin'] },
          { public_key: other, roles: ['admin', 'auditor'] },
          { public_key: other, roles: ['operator'] },
        ],
      },
    },
  });
  const err = configError(() => trustedIssuers(cfg.ops, '/etc/omniva/ops-agent.json'));
  assert.equal(err.message.split('\n').slice(1), [
    '  - ops.trusted[0].public_key: not a valid nkey public key (checksum) (from /etc/omniva/ops-agent.json)',
    '  - ops.trusted[1].roles[1]: role "auditor" is not in ops.roles (admin, operator) (from /etc/omniva/ops-agent.json)',
    '  - ops.trusted[2].public_key: listed twice (from /etc/omniva/ops-agent.json)',
  ]);
  assert.equal(
    err.violations.map((v) => v.pointer),
    ['/ops/trusted/0/public_key', '/ops/trusted/1/roles/1', '/ops/trusted/2/public_key'],
  );
  const none = configError(() => trustedIssuers(loadConfig(base).ops));
  assert.match(none.message, 'ops.trusted: no trusted key: this agent would refuse every command');
});

test.run();
