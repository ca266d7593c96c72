// `omniva ops keygen | sign`: the seed file is private, and what sign prints verifies.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keygenCommand, signCommandCli } from '../../cli/actions/ops.ts';
import { MemoryNonceStore, verifyCommand } from '../../ops-agent/index.ts';
import { grantSigner, verifyGrant } from '../../runtime/index.ts';
import { tempDir } from '../support/nats.ts';

function capture(f: () => void): string {
  const write = process.stdout.write.bind(process.stdout);
  let text = '';
  process.stdout.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    f();
  } finally {
    process.stdout.write = write;
  }
  return text;
}

test('ops cli - keygen writes a 0600 seed file, sign prints a command the agent accepts', async () => {
  const seedFile = join(tempDir(), 'ops.seed');
  const printed = capture(() => keygenCommand({ out: seedFile }));
  const publicKey = /public key: (\S+)/.exec(printed)?.[1] ?? '';
  assert.is(statSync(seedFile).mode & 0o777, 0o600);
  assert.not.match(printed, readFileSync(seedFile, 'utf8').trim(), 'the seed is not printed');
  assert.throws(() => keygenCommand({ out: seedFile }), /EEXIST/, 'never overwrites a seed');

  const json = capture(() =>
    signCommandCli({
      seedFile,
      site: 'site-a',
      host: 'host-1',
      action: 'cancel_run',
      arg: ['worker=editor', 'run_id=job-1'],
      role: 'admin',
      ttl: '60',
      confirm: true,
    }),
  );
  const verdict = await verifyCommand(JSON.parse(json), {
    trusted: [{ publicKey, roles: ['admin'] }],
    site_id: 'site-a',
    host_id: 'host-1',
    now: Date.now(),
    seen: new MemoryNonceStore(),
    roles: { admin: ['cancel_run'] },
  });
  assert.ok(verdict.ok, JSON.stringify(verdict));
  if (verdict.ok)
    assert.equal(verdict.command.args, { worker: 'editor', run_id: 'job-1', confirm: true });
});

test('ops cli - keygen --grant makes the key Zenith signs upload grants with', () => {
  const seedFile = join(tempDir(), 'grant.seed');
  const printed = capture(() => keygenCommand({ out: seedFile, grant: true }));
  const publicKey = /public key: (A[A-Z2-7]{55})\n/.exec(printed)?.[1];
  assert.ok(publicKey, printed);
  assert.match(printed, 'zenith.grant_public_key');
  const signer = grantSigner(readFileSync(seedFile, 'utf8').trim());
  assert.is(signer.publicKey, publicKey, 'the seed file signs as the printed key');
  const grant = signer.sign('5b7c2a44-1f0e-4c53-9a8e-0d3f2b6a9c11', 'site-a');
  const claims = verifyGrant(grant, {
    trusted: [publicKey as string],
    aud: 'uploader',
    sub: '5b7c2a44-1f0e-4c53-9a8e-0d3f2b6a9c11',
    site: 'site-a',
  });
  assert.is(claims.iss, publicKey);
});

test('ops cli - sign refuses unknown actions and --arg confirm', () => {
  const base = {
    seedFile: '/nonexistent',
    site: 's',
    host: 'h',
    arg: [],
    role: 'admin',
    ttl: '60',
  };
  assert.throws(() => signCommandCli({ ...base, action: 'shell' }), /unknown action/);
});

test.run();
