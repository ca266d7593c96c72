// Signed operator commands, verified without NATS: every refusal reason, and the one way in.
import canonicalize from 'canonicalize';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  canonicalCommandBytes,
  issueCommand,
  MemoryNonceStore,
  type OpsAction,
  type OpsCommand,
  signCommand,
  type VerifyCommandOptions,
  verifyCommand,
} from '../../ops-agent/index.ts';
import { createOpsKey, opsSignerFromSeed } from '../../runtime/index.ts';

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const admin = opsSignerFromSeed(createOpsKey().seed);
const viewer = opsSignerFromSeed(createOpsKey().seed);
const stranger = opsSignerFromSeed(createOpsKey().seed);

const ROLES: Record<string, OpsAction[]> = {
  admin: [
    'restart_worker',
    'drain_worker',
    'pause_queue',
    'resume_queue',
    'cancel_run',
    'retry_stage',
  ],
  operator: ['pause_queue', 'resume_queue'],
};

function options(over: Partial<VerifyCommandOptions> = {}): VerifyCommandOptions {
  return {
    trusted: [
      { publicKey: admin.publicKey, roles: ['admin', 'operator'] },
      { publicKey: viewer.publicKey, roles: ['operator'] },
    ],
    site_id: 'site-a',
    host_id: 'host-1',
    now: T0 + 5_000,
    seen: new MemoryNonceStore(() => T0),
    roles: ROLES,
    ...over,
  };
}

function pause(over: Partial<Parameters<typeof issueCommand>[1]> = {}, signer = admin) {
  return issueCommand(signer, {
    site_id: 'site-a',
    host_id: 'host-1',
    action: 'pause_queue',
    args: { queue: 'editor' },
    role: 'operator',
    now: T0,
    ...over,
  } as Parameters<typeof issueCommand>[1]);
}

async function reason(signed: unknown, o = options()): Promise<string> {
  const v = await verifyCommand(signed, o);
  return v.ok ? 'accepted' : v.reason;
}

test('ops verify - a well-signed, fresh, permitted command is accepted', async () => {
  const v = await verifyCommand(pause(), options());
  assert.ok(v.ok);
  if (v.ok) assert.is(v.command.action, 'pause_queue');
});

test('ops verify - a command without a signature is refused as unsigned', async () => {
  const { command } = pause();
  assert.is(await reason({ command }), 'unsigned');
  assert.is(await reason({ command, signature: '' }), 'unsigned');
  assert.is(await reason(command), 'unsigned');
});

test('ops verify - a forged signature (a key pretending to be a trusted issuer) is refused', async () => {
  const forged = pause({}, stranger);
  const claimed = { ...forged.command, issuer: admin.publicKey };
  const sig = Buffer.from(stranger.sign(canonicalCommandBytes(claimed))).toString('base64url');
  assert.is(await reason({ command: claimed, signature: sig }), 'bad_signature');
  assert.is(await reason({ command: claimed, signature: 'not-a-signature' }), 'bad_signature');
});

test('ops verify - a command signed by an unknown key is refused as untrusted_issuer', async () => {
  assert.is(await reason(pause({}, stranger)), 'untrusted_issuer');
});

test('ops verify - any tampered field breaks the signature', async () => {
  const signed = pause();
  const tamper: Partial<OpsCommand>[] = [
    { host_id: 'host-2' },
    { action: 'resume_queue' },
    { args: { queue: 'uploader' } },
    { expires_at: '2026-11-02T23:00:00.000Z' },
    { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' },
    { role: 'admin' },
  ];
  for (const t of tamper) {
    const cmd = { ...signed.command, ...t } as OpsCommand;
    assert.is(
      await reason({ command: cmd, signature: signed.signature }),
      'bad_signature',
      JSON.stringify(t),
    );
  }
  // A re-encoded signature (padding) is not the signature that was made.
  assert.is(await reason({ ...signed, signature: `${signed.signature}==` }), 'bad_signature');
});

test('ops verify - canonical bytes do not depend on key order and match RFC 8785', () => {
  const { command } = pause();
  const reordered = Object.fromEntries(Object.entries(command).reverse()) as unknown as OpsCommand;
  const a = new TextDecoder().decode(canonicalCommandBytes(command));
  const b = new TextDecoder().decode(canonicalCommandBytes(reordered));
  assert.is(a, b);
  assert.is(a, canonicalize(command));
});

test('ops verify - a signature still verifies after the JSON is re-serialised in another order', async () => {
  const signed = pause();
  const text = JSON.stringify({
    signature: signed.signature,
    command: Object.fromEntries(Object.entries(signed.command).reverse()),
  });
  assert.is(await reason(JSON.parse(text)), 'accepted');
});

test('ops verify - expired, not yet valid and overlong commands are refused', async () => {
  assert.is(await reason(pause(), options({ now: T0 + 61_000 })), 'expired');
  assert.is(await reason(pause({ now: T0 + 120_000 })), 'not_yet_valid');
  const long = signCommand(admin, {
    ...pause().command,
    expires_at: new Date(T0 + 2 * 3_600_000).toISOString(),
  });
  assert.is(await reason(long), 'ttl_too_long');
});

test('ops verify - a replayed command is refused; the nonce is remembered until expiry', async () => {
  const now = { t: T0 };
  const seen = new MemoryNonceStore(() => now.t);
  const signed = pause();
  assert.is(await reason(signed, options({ seen })), 'accepted');
  assert.is(await reason(signed, options({ seen })), 'replayed');
  assert.is(seen.size, 1);
  now.t = T0 + 200_000;
  // Forgotten once expired (plus skew), and refused anyway because it has expired.
  assert.is(await reason(signed, options({ seen, now: now.t })), 'expired');
  // The next accepted command sweeps the expired nonce out of memory.
  assert.is(await reason(pause({ now: now.t }), options({ seen, now: now.t })), 'accepted');
  assert.is(seen.size, 1);
});

test('ops verify - a refused command does not use up its nonce', async () => {
  const seen = new MemoryNonceStore(() => T0);
  const signed = pause();
  assert.is(await reason(signed, options({ seen, host_id: 'host-2' })), 'wrong_host');
  assert.is(await reason(signed, options({ seen })), 'accepted');
});

test('ops verify - wrong host and wrong site are refused', async () => {
  assert.is(await reason(pause({ host_id: 'host-2' })), 'wrong_host');
  assert.is(await reason(pause({ site_id: 'site-b' })), 'wrong_site');
});

test('ops verify - a role that may not run the action, or a role the key may not claim, is refused', async () => {
  const restart = pause({ action: 'restart_worker', args: { worker: 'editor', confirm: true } });
  assert.is(await reason(restart), 'not_permitted', 'operator may not restart');
  assert.is(
    await reason(pause({ role: 'admin' }, viewer)),
    'not_permitted',
    'viewer key is not admin',
  );
  assert.is(await reason(pause({ role: 'ghost' })), 'not_permitted');
});

test('ops verify - destructive actions need args.confirm === true', async () => {
  for (const [action, args] of [
    ['restart_worker', { worker: 'editor' }],
    ['drain_worker', { worker: 'editor', instance: 'a' }],
    ['cancel_run', { worker: 'editor', run_id: 'job-1', confirm: false }],
  ] as const) {
    const signed = pause({ action, args, role: 'admin' } as never);
    assert.is(await reason(signed), 'confirmation_required', action);
    const confirmed = pause({ action, args: { ...args, confirm: true }, role: 'admin' } as never);
    assert.is(await reason(confirmed), 'accepted', `${action} confirmed`);
  }
  assert.is(
    await reason(
      pause({
        action: 'retry_stage',
        args: { run_id: 'r', stage: 'editing' },
        role: 'admin',
      } as never),
    ),
    'accepted',
  );
});

test('ops verify - an action outside the allow-list is refused as unknown_action', async () => {
  const shell = signCommand(admin, {
    ...pause().command,
    action: 'shell' as OpsAction,
    args: { cmd: 'rm -rf /' } as never,
  });
  assert.is(await reason(shell), 'unknown_action');
});

test('ops verify - malformed commands and arguments are refused as malformed', async () => {
  assert.is(await reason('{}'), 'malformed');
  assert.is(await reason({ signature: pause().signature }), 'malformed');
  const extra = signCommand(admin, {
    ...pause().command,
    args: { queue: 'editor', shell: 'x' } as never,
  });
  assert.is(await reason(extra), 'malformed');
  const badQueue = signCommand(admin, { ...pause().command, args: { queue: 'a.b' } });
  assert.is(await reason(badQueue), 'malformed');
  const shortNonce = signCommand(admin, { ...pause().command, nonce: 'abc' });
  assert.is(await reason(shortNonce), 'malformed');
});

test('ops verify - signing refuses a command that names another issuer', () => {
  const { command } = pause();
  assert.throws(() => signCommand(viewer, command), /another issuer/);
  assert.throws(() => pause({ ttl_s: 7200 }), /ttl/);
});

test.run();
