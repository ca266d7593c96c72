// `omniva ops agent` as a deployed host runs it: the real CLI process, joining a password-
// protected site as its own NATS user, answering signed commands, auditing them in Stardust,
// restarting and draining workers through a configured systemctl (a recording script here:
// systemd cannot run in a test), asking Zenith to retry, and stopping cleanly on SIGTERM.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  issueCommand,
  type OpsAction,
  type OpsResult,
  type SignedOpsCommand,
} from '../../ops-agent/index.ts';
import { makeEnvelope, subjects } from '../../protocols/index.ts';
import {
  createLogger,
  createOpsKey,
  type EmbeddedServer,
  type Ledger,
  openLedger,
  opsSignerFromSeed,
  provisionEpochs,
  provisionLeases,
  provisionSite,
  publishSignal,
  SiteClient,
  type StardustPacket,
  sendOpsCommand,
  startNatsServer,
} from '../../runtime/index.ts';
import { startZenith } from '../support/control-site.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { tempDir, waitFor } from '../support/nats.ts';
import { SITE, startHost } from '../support/site.ts';

const CLI = 'cli/omniva.mjs';
const ADMIN = { user: 'admin', pass: 'admin-pass' };
const AGENT_PASS = 'agent "secret" $x';
const adminKey = createOpsKey();
const admin = opsSignerFromSeed(adminKey.seed);
const stranger = opsSignerFromSeed(createOpsKey().seed);

const dir = tempDir('omniva-ops-agent-');
let server: EmbeddedServer;
let nc: NatsConnection;
let ledger: Ledger;

interface AgentProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr(): string;
  exited: Promise<number | null>;
}

/** A systemctl stand-in: records each argv (one argument a line, then `--end--`). */
function fakeSystemctl(name: string, exitCode: number): { bin: string; log: string } {
  const bin = join(dir, name);
  const log = join(dir, `${name}.argv`);
  const slow = join(dir, `${name}.slow`);
  writeFileSync(
    bin,
    [
      '#!/bin/sh',
      `{ for a in "$@"; do printf '%s\\n' "$a"; done; echo --end--; } >> '${log}'`,
      `if [ -f '${slow}' ]; then sleep 2; fi`,
      exitCode === 0 ? 'exit 0' : `echo "Failed to $2 $3: Access denied" >&2; exit ${exitCode}`,
      '',
    ].join('\n'),
  );
  chmodSync(bin, 0o755);
  return { bin, log };
}

/** The argv of every call so far. */
function calls(log: string): string[][] {
  if (!existsSync(log)) return [];
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (line === '--end--') {
      out.push(cur);
      cur = [];
    } else if (line !== '') cur.push(line);
  }
  return out;
}

function agentConfig(host: string, extra: Record<string, unknown> = {}) {
  return {
    site_id: SITE,
    host_id: host,
    data_dir: join(dir, host),
    nats: { url: server.url, user: 'agent' },
    log: { level: 'info' },
    runtime: { drain_timeout_ms: 5000 },
    ops: {
      trusted: [{ public_key: admin.publicKey, roles: ['admin', 'operator'] }],
      action_timeout_ms: 10_000,
      ...extra,
    },
  };
}

function writeConfig(host: string, config: object): string {
  const file = join(dir, `${host}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Spawns `omniva ops agent -c <file>`; the agent's password comes from the environment. */
function spawnAgent(file: string, pass = AGENT_PASS): AgentProcess {
  const child = spawn(process.execPath, [CLI, 'ops', 'agent', '-c', file], {
    env: { ...process.env, OMNIVA_NATS__PASS: pass },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p));
      } catch {
        lines.push({ text: p });
      }
    }
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

async function startAgent(host: string, extra: Record<string, unknown> = {}) {
  const agent = spawnAgent(writeConfig(host, agentConfig(host, extra)));
  await waitFor(
    () => {
      if (agent.child.exitCode !== null) throw new Error(`agent exited: ${agent.stderr()}`);
      return agent.lines.some((l) => l.msg === 'ops agent ready');
    },
    30_000,
    50,
  );
  return agent;
}

async function stop(agent: AgentProcess): Promise<number | null> {
  if (agent.child.exitCode === null) agent.child.kill('SIGTERM');
  return agent.exited;
}

function sign(
  host: string,
  action: OpsAction,
  args: Record<string, unknown>,
  over: Record<string, unknown> = {},
): SignedOpsCommand {
  return issueCommand(admin, {
    site_id: SITE,
    host_id: host,
    action,
    args,
    role: 'admin',
    ...over,
  } as unknown as Parameters<typeof issueCommand>[1]);
}

async function send(host: string, body: unknown, timeoutMs = 15_000): Promise<OpsResult> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return (await sendOpsCommand({
    url: server.url,
    site: SITE,
    host,
    body: text,
    timeoutMs,
    ...ADMIN,
  })) as unknown as OpsResult;
}

/** A packet the agent process wrote, once this process's ledger index has caught up. */
async function packet(id: string | undefined): Promise<StardustPacket> {
  assert.ok(id, 'the result names a packet');
  return waitFor(async () => {
    await ledger.lineage.sync();
    return ledger.get(id as string);
  }, 10_000);
}

async function children(id: string): Promise<StardustPacket[]> {
  await ledger.lineage.sync();
  const nodes = await ledger.lineage.children(id);
  const out: StardustPacket[] = [];
  for (const n of nodes) {
    const p = await ledger.get(n.stardust_id);
    if (p) out.push(p);
  }
  return out;
}

/** The key with one character changed: well-formed, but its checksum no longer matches. */
const corrupt = (key: string) =>
  `${key.slice(0, 10)}${key[10] === 'B' ? 'C' : 'B'}${key.slice(11)}`;

const bodyOf = (p: StardustPacket) =>
  p.payload as { type?: string; body?: Record<string, unknown> } & Record<string, unknown>;

let host1: AgentProcess;
const ok = fakeSystemctl('systemctl-ok', 0);
const alertFile = join(dir, 'alerts', 'alerts.jsonl');

test.before(async () => {
  server = await startNatsServer({
    dir: join(dir, 'nats'),
    domain: SITE,
    jsMaxFile: '1G',
    extraConfig: [
      'authorization {',
      '  users = [',
      `    { user: "admin", password: ${JSON.stringify(ADMIN.pass)} }`,
      `    { user: "agent", password: ${JSON.stringify(AGENT_PASS)} }`,
      '  ]',
      '}',
    ].join('\n'),
  });
  if (server.port === 4222) throw new Error('test server must never use 4222');
  nc = await connect({ servers: server.url, ...ADMIN });
  await provisionSite(nc, await jetstreamManager(nc), {
    site: SITE,
    duplicateWindowMs: 120_000,
    effectsTtlMs: 3_600_000,
  });
  await provisionLeases(nc, { ttlMs: 3_000 });
  await provisionEpochs(nc);
  ledger = await openLedger(nc, { site: SITE, log: createLogger({ level: 'silent' }) });
  host1 = await startAgent('host-1', {
    process: { manager: 'systemd', systemctl_bin: ok.bin, workers: ['editor', 'analyzer'] },
    health: { interval_ms: 500 },
    alerts: { file: { path: alertFile } },
  });
});

test.after(async () => {
  await stop(host1);
  await ledger.close();
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('ops agent process - pause_queue signed and sent with the CLI is accepted and audited', async () => {
  const seedFile = join(dir, 'admin.seed');
  writeFileSync(seedFile, `${adminKey.seed}\n`, { mode: 0o600 });
  const signed = spawnSync(
    process.execPath,
    [
      CLI,
      'ops',
      'sign',
      '--seed-file',
      seedFile,
      '--site',
      SITE,
      '--host',
      'host-1',
      '--action',
      'pause_queue',
      '--arg',
      'queue=editor',
      '--arg',
      'reason=encoder upgrade',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.is(signed.status, 0, signed.stderr);
  const cmdFile = join(dir, 'pause.json');
  writeFileSync(cmdFile, signed.stdout);
  const sent = spawnSync(process.execPath, [CLI, 'ops', 'send', cmdFile, '--url', server.url], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, OMNIVA_NATS__USER: ADMIN.user, OMNIVA_NATS__PASS: ADMIN.pass },
  });
  assert.is(sent.status, 0, `${sent.stdout}\n${sent.stderr}`);
  const result = JSON.parse(sent.stdout) as OpsResult;
  assert.is(result.status, 'succeeded');
  assert.is(result.action, 'pause_queue');
  assert.is(result.host_id, 'host-1');

  const audit = await packet(result.audit_id);
  assert.is(audit.kind, 'audit');
  assert.is(audit.actor, 'ops-agent');
  assert.is(audit.payload.decision, 'accepted');
  assert.is(audit.payload.action, 'pause_queue');
  assert.is(audit.payload.issuer, admin.publicKey);
  assert.equal(audit.payload.args, { queue: 'editor', reason: 'encoder upgrade' });

  const cited = await waitFor(async () => {
    const c = await children(audit.stardust_id);
    return c.length >= 2 ? c : undefined;
  });
  const outcome = cited.find((p) => p.payload.type === 'OpsOutcome');
  assert.is(outcome?.payload.status, 'succeeded');
  const directive = cited.find((p) => bodyOf(p).type === 'QueueDirective');
  assert.ok(directive, 'the QueueDirective for Zenith cites the audit packet');
  assert.is(directive?.actor, 'ops-agent');
  assert.is(bodyOf(directive as StardustPacket).body?.worker, 'editor');
  assert.is(bodyOf(directive as StardustPacket).body?.state, 'paused');
});

test('ops agent process - unsigned, forged and untrusted commands are refused and audited', async () => {
  const good = sign('host-1', 'pause_queue', { queue: 'editor' });
  const cases: [string, unknown][] = [
    ['unsigned', { command: good.command }],
    ['bad_signature', { ...good, command: { ...good.command, args: { queue: 'uploader' } } }],
    ['untrusted_issuer', issueCommand(stranger, { ...good.command, role: 'admin' })],
    ['confirmation_required', sign('host-1', 'restart_worker', { worker: 'editor' })],
  ];
  for (const [reason, body] of cases) {
    const r = await send('host-1', body);
    assert.is(r.status, 'refused', reason);
    assert.is(r.reason, reason);
    const audit = await packet(r.audit_id);
    assert.is(audit.payload.decision, 'refused');
    assert.is(audit.payload.reason, reason);
  }
  assert.equal(calls(ok.log), [], 'nothing refused reached systemctl');
});

test('ops agent process - restart and drain run the configured systemctl with a fixed argv', async () => {
  const before = calls(ok.log).length;
  const restart = await send(
    'host-1',
    sign('host-1', 'restart_worker', { worker: 'editor', confirm: true }),
  );
  assert.is(restart.status, 'succeeded', restart.message);
  assert.equal(restart.detail, {
    unit: 'omniva-worker@editor.service',
    verb: 'restart',
    exit_code: 0,
  });
  const drain = await send(
    'host-1',
    sign('host-1', 'drain_worker', { worker: 'analyzer', instance: 'host-1', confirm: true }),
  );
  assert.is(drain.status, 'succeeded', drain.message);
  assert.equal(calls(ok.log).slice(before), [
    ['--no-ask-password', 'restart', 'omniva-worker@editor.service'],
    ['--no-ask-password', 'stop', 'omniva-worker@analyzer.service'],
  ]);
  const outcome = (await children(restart.audit_id as string)).find(
    (p) => p.payload.type === 'OpsOutcome',
  );
  assert.equal(outcome?.payload.detail, restart.detail, 'the outcome is audited');

  // Not this host's to touch: refused by the agent before systemctl runs.
  const other = await send(
    'host-1',
    sign('host-1', 'restart_worker', { worker: 'editor', instance: 'host-9', confirm: true }),
  );
  assert.is(other.status, 'failed');
  assert.match(other.message ?? '', /does not run on host "host-1"/);
  const unmanaged = await send(
    'host-1',
    sign('host-1', 'restart_worker', { worker: 'uploader', confirm: true }),
  );
  assert.is(unmanaged.status, 'failed');
  assert.match(unmanaged.message ?? '', /not managed by this agent/);
  assert.is(calls(ok.log).length, before + 2, 'only the two allowed calls ran');
});

test('ops agent process - a failing systemctl is a failed result with its stderr', async () => {
  const bad = fakeSystemctl('systemctl-bad', 1);
  const host2 = await startAgent('host-2', {
    process: { manager: 'systemd', systemctl_bin: bad.bin },
  });
  try {
    const r = await send(
      'host-2',
      sign('host-2', 'restart_worker', { worker: 'editor', confirm: true }),
    );
    assert.is(r.status, 'failed');
    assert.is(r.error_code, 'OMNIVA_ERR_EFFECT_FAILED');
    assert.is(
      r.message,
      'systemctl restart omniva-worker@editor.service exited with 1: Failed to restart omniva-worker@editor.service: Access denied',
    );
    assert.equal(calls(bad.log), [
      ['--no-ask-password', 'restart', 'omniva-worker@editor.service'],
    ]);
    const outcome = (await children(r.audit_id as string)).find(
      (p) => p.payload.type === 'OpsOutcome',
    );
    assert.is(outcome?.payload.status, 'failed');
    assert.is(outcome?.payload.message, r.message);
  } finally {
    assert.is(await stop(host2), 0);
  }
});

test('ops agent process - retry_stage reaches Zenith, which retries the failed job', async () => {
  const renders: string[] = [];
  const editor = await startHost(nc, testEditorKind('a', renders, 'bad_command'), { ledger });
  const zenith = await startZenith({ nc, ledger }, { editor: ['a'] });
  type View = { jobs: Record<string, { status: string; attempts: number }>; paused: string[] };
  const view = () => zenith.view<View>();
  try {
    // The first test's pause reached Zenith; the agent resumes the queue the same way.
    await waitFor(async () => (await view()).paused.includes('editor'), 15_000);
    const resumed = await send('host-1', sign('host-1', 'resume_queue', { queue: 'editor' }));
    assert.is(resumed.status, 'succeeded', resumed.message);
    await waitFor(async () => !(await view()).paused.includes('editor'), 15_000);

    const job = crypto.randomUUID();
    await new SiteClient(nc, SITE, { actor: 'alice', ledger }).advise(
      'operator',
      'work_request',
      'WorkRequest',
      {
        request_id: crypto.randomUUID(),
        job_key: job,
        worker: 'editor',
        contract: 'EditJob',
        payload: {
          clip_id: job,
          operations: ['cut'],
          ffmpeg_commands: [],
          gpu_required: false,
          estimated_duration: 5,
        },
        requested_by: 'alice',
      },
    );
    await waitFor(async () => (await view()).jobs[job]?.status === 'failed', 15_000);
    assert.equal(renders, ['a']);

    const r = await send(
      'host-1',
      sign('host-1', 'retry_stage', { run_id: job, stage: 'editor', reason: 'codec fixed' }),
    );
    assert.is(r.status, 'succeeded', r.message);
    assert.is(r.detail?.asked, 'zenith');
    await waitFor(async () => (await view()).jobs[job]?.attempts === 2, 15_000);
    await waitFor(() => renders.length === 2);

    const plan = await packet(r.detail?.stardust_id as string);
    assert.is(plan.actor, 'ops-agent');
    assert.equal(plan._meta_parents, [r.audit_id]);
    assert.is(bodyOf(plan).type, 'RecoveryPlan');
    assert.is(bodyOf(plan).body?.job_key, job);
    assert.is(bodyOf(plan).body?.action, 'retry');
    assert.match(String(bodyOf(plan).body?.notes), /admin .* codec fixed$/);
    const decision = await waitFor(async () =>
      (await children(plan.stardust_id)).find((p) => bodyOf(p).type === 'Arbitration'),
    );
    assert.is(decision.actor, 'zenith', "Zenith's decision cites the plan");
    assert.is(bodyOf(decision).body?.job_key, job);
    assert.match(String(bodyOf(decision).body?.reason), /^retry advised after operator_retry/);

    const bad = await send(
      'host-1',
      sign('host-1', 'retry_stage', { run_id: 'run-1', stage: 'x' }),
    );
    assert.is(bad.status, 'failed');
    assert.match(bad.message ?? '', /run_id to be the job key/);
  } finally {
    await zenith.leader.stop();
    await editor.drain();
  }
});

test('ops agent process - it reports host health and delivers site alerts as configured', async () => {
  const reports: Record<string, unknown>[] = [];
  const sub = nc.subscribe(subjects.hb(SITE, 'host-1'), {
    callback: (_e, m) => {
      reports.push(JSON.parse(new TextDecoder().decode(m.data)));
    },
  });
  try {
    const report = await waitFor(() => reports.find((r) => r.type === 'HostHealth'), 10_000);
    const health = report.payload as { host_id: string; disks: { path: string }[] };
    assert.is(health.host_id, 'host-1');
    assert.equal(
      health.disks.map((d) => d.path),
      [join(dir, 'host-1')],
      'the data directory is the default volume',
    );
  } finally {
    sub.unsubscribe();
  }

  const alert = {
    alert_id: crypto.randomUUID(),
    type: 'host_down' as const,
    severity: 'critical' as const,
    site_id: SITE,
    host_id: 'host-7',
    message: 'host-7 has not reported for 30 s',
    raised_at: new Date().toISOString(),
  };
  publishSignal(
    nc,
    subjects.alert(SITE, 'host_down'),
    makeEnvelope({ type: 'Alert', site_id: SITE, actor: 'eclipse', payload: alert }),
  );
  // Only whole lines: the router may be halfway through appending one.
  const delivered = await waitFor(() => {
    const text = existsSync(alertFile) ? readFileSync(alertFile, 'utf8') : '';
    const lines = text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean);
    return lines.length > 0 ? lines : undefined;
  });
  assert.equal(
    delivered.map((l) => JSON.parse(l).alert_id),
    [alert.alert_id],
  );
});

test('ops agent process - SIGTERM lets the running command answer, then exits 0', async () => {
  writeFileSync(join(dir, 'systemctl-ok.slow'), '');
  const before = calls(ok.log).length;
  const inFlight = send(
    'host-1',
    sign('host-1', 'restart_worker', { worker: 'editor', confirm: true }),
  );
  // The script records its argv, then sleeps: the command is running when the signal comes.
  await waitFor(() => calls(ok.log).length === before + 1);
  host1.child.kill('SIGTERM');
  const answered = await inFlight;
  assert.is(answered.status, 'succeeded', answered.message);
  assert.is(await host1.exited, 0, host1.stderr());
  assert.ok(host1.lines.some((l) => l.msg === 'drained'));
  rmSync(join(dir, 'systemctl-ok.slow'));
  try {
    await send('host-1', sign('host-1', 'pause_queue', { queue: 'editor' }), 500);
    assert.unreachable('no agent answers after the stop');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'OMNIVA_ERR_TIMEOUT');
  }
});

test('ops agent process - --help explains the actions, the config and the stop', () => {
  const r = spawnSync(process.execPath, [CLI, 'ops', 'agent', '--help'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: omniva ops agent \[options\]/m);
  assert.match(r.stdout, '-c, --config <file>');
  assert.match(r.stdout, '<systemctl_bin> --no-ask-password restart|stop <unit>');
  assert.match(r.stdout, 'On SIGTERM it stops taking commands');
});

test('ops agent process - bad ops config and a wrong password stop it with readable errors', async () => {
  const broken = writeConfig('host-3', {
    ...agentConfig('host-3'),
    ops: {
      trusted: [
        { public_key: corrupt(admin.publicKey), roles: ['admin'] },
        { public_key: stranger.publicKey, roles: ['auditor'] },
      ],
      process: { manager: 'upstart' },
    },
  });
  const bad = spawnAgent(broken);
  assert.is(await bad.exited, 1);
  assert.match(bad.stderr(), 'ops.process.manager: must be one of systemd, none');

  const keys = writeConfig('host-4', {
    ...agentConfig('host-4'),
    ops: {
      trusted: [
        { public_key: corrupt(admin.publicKey), roles: ['admin'] },
        { public_key: stranger.publicKey, roles: ['auditor'] },
      ],
    },
  });
  const wrongKeys = spawnAgent(keys);
  assert.is(await wrongKeys.exited, 1);
  assert.match(
    wrongKeys.stderr(),
    'ops.trusted[0].public_key: not a valid nkey public key (checksum)',
  );
  assert.match(
    wrongKeys.stderr(),
    'ops.trusted[1].roles[0]: role "auditor" is not in ops.roles (admin, operator)',
  );

  const denied = spawnAgent(writeConfig('host-5', agentConfig('host-5')), 'wrong');
  assert.is(await denied.exited, 1);
  assert.match(denied.stderr(), /authorization/i);
  assert.not.match(denied.stderr(), AGENT_PASS);
});

test.run();
