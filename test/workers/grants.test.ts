import { createAccount, createUser } from '@nats-io/nkeys';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  GRANT_TYPE,
  GrantError,
  type GrantRefusal,
  MAX_GRANT_TTL_S,
  signGrant,
  verifyGrant,
} from '../../runtime/index.ts';

const zenith = createAccount();
const other = createAccount();
const CLIP = '3f0c6a52-6d0e-4e43-9a4e-1c9c3d0d2b61';
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const scope = { aud: 'uploader', sub: CLIP, site: 'site-a' };
const trusted = [zenith.getPublicKey()];

function refused(fn: () => unknown): GrantError {
  try {
    fn();
  } catch (error) {
    if (GrantError.is(error)) return error;
    assert.unreachable(`expected a GrantError, got ${String(error)}`);
  }
  return assert.unreachable('expected the grant to be refused') as never;
}

function expectRefusal(fn: () => unknown, code: string, reason: GrantRefusal): void {
  const e = refused(fn);
  assert.is(e.code, code);
  assert.is(e.info.reason, reason);
  assert.is(e.retryable, false);
}

function b64(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

test('grants - a signed grant verifies and returns its claims', () => {
  const token = signGrant(zenith, { ...scope, ttl_s: 120 }, T0);
  const claims = verifyGrant(token, { trusted, ...scope, now: T0 + 1_000 });
  assert.is(claims.typ, GRANT_TYPE);
  assert.is(claims.iss, zenith.getPublicKey());
  assert.is(claims.aud, 'uploader');
  assert.is(claims.sub, CLIP);
  assert.is(claims.site, 'site-a');
  assert.is(claims.iat, T0 / 1000);
  assert.is(claims.exp, T0 / 1000 + 120);
  assert.match(claims.jti, /^[0-9a-f-]{36}$/);
  assert.is.not(
    signGrant(zenith, { ...scope, ttl_s: 120 }, T0),
    token,
    'each grant has its own jti',
  );
});

test('grants - one of several trusted keys is enough (key rotation)', () => {
  const token = signGrant(other, { ...scope, ttl_s: 60 }, T0);
  const claims = verifyGrant(token, {
    trusted: [zenith.getPublicKey(), other.getPublicKey()],
    ...scope,
    now: T0,
  });
  assert.is(claims.iss, other.getPublicKey());
});

test('grants - an expired grant is refused, within the clock skew it is not', () => {
  const token = signGrant(zenith, { ...scope, ttl_s: 60 }, T0);
  verifyGrant(token, { trusted, ...scope, now: T0 + 60_000 + 29_000 });
  expectRefusal(
    () => verifyGrant(token, { trusted, ...scope, now: T0 + 60_000 + 30_000 }),
    'OMNIVA_ERR_GRANT_EXPIRED',
    'expired',
  );
  expectRefusal(
    () => verifyGrant(token, { trusted, ...scope, now: T0 + 61_000, skew_s: 0 }),
    'OMNIVA_ERR_GRANT_EXPIRED',
    'expired',
  );
});

test('grants - a grant issued in the future is refused', () => {
  const token = signGrant(zenith, { ...scope, ttl_s: 60 }, T0 + 120_000);
  expectRefusal(
    () => verifyGrant(token, { trusted, ...scope, now: T0 }),
    'OMNIVA_ERR_GRANT_INVALID',
    'not_yet_valid',
  );
});

test('grants - a tampered grant fails its signature', () => {
  const token = signGrant(zenith, { ...scope, ttl_s: 60 }, T0);
  const [body, sig] = token.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  const widened = b64({ ...claims, exp: claims.exp + 86_400 });
  expectRefusal(
    () => verifyGrant(`${widened}.${sig}`, { trusted, ...scope, now: T0 }),
    'OMNIVA_ERR_GRANT_INVALID',
    'bad_signature',
  );
  const retargeted = b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000' });
  expectRefusal(
    () =>
      verifyGrant(`${retargeted}.${sig}`, {
        trusted,
        ...scope,
        sub: '00000000-0000-4000-8000-000000000000',
        now: T0,
      }),
    'OMNIVA_ERR_GRANT_INVALID',
    'bad_signature',
  );
  const flipped = Buffer.from(sig, 'base64url');
  flipped[0] = (flipped[0] as number) ^ 1;
  expectRefusal(
    () => verifyGrant(`${body}.${flipped.toString('base64url')}`, { trusted, ...scope, now: T0 }),
    'OMNIVA_ERR_GRANT_INVALID',
    'bad_signature',
  );
});

test('grants - a grant signed by an untrusted key is refused, even naming a trusted issuer', () => {
  const forger = createUser();
  const own = signGrant(forger, { ...scope, ttl_s: 60 }, T0);
  expectRefusal(
    () => verifyGrant(own, { trusted, ...scope, now: T0 }),
    'OMNIVA_ERR_GRANT_INVALID',
    'untrusted_issuer',
  );
  // The forger claims Zenith's key as issuer but can only sign with its own.
  const [body] = own.split('.') as [string];
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  const posing = b64({ ...claims, iss: zenith.getPublicKey() });
  const sig = Buffer.from(forger.sign(new TextEncoder().encode(posing))).toString('base64url');
  expectRefusal(
    () => verifyGrant(`${posing}.${sig}`, { trusted, ...scope, now: T0 }),
    'OMNIVA_ERR_GRANT_INVALID',
    'bad_signature',
  );
});

test('grants - wrong audience, subject or site is a scope refusal', () => {
  const token = signGrant(zenith, { ...scope, ttl_s: 60 }, T0);
  const check = (over: Partial<typeof scope>, reason: GrantRefusal) =>
    expectRefusal(
      () => verifyGrant(token, { trusted, ...scope, ...over, now: T0 }),
      'OMNIVA_ERR_GRANT_SCOPE',
      reason,
    );
  check({ aud: 'scheduler' }, 'wrong_audience');
  check({ sub: '00000000-0000-4000-8000-000000000000' }, 'wrong_subject');
  check({ site: 'site-b' }, 'wrong_site');
});

test('grants - malformed tokens are refused without throwing anything else', () => {
  const good = signGrant(zenith, { ...scope, ttl_s: 60 }, T0);
  const [body, sig] = good.split('.') as [string, string];
  for (const bad of [
    '',
    'abc',
    `${body}.${sig}.x`,
    `${body}=.${sig}`,
    `${body}.${sig.slice(0, -4)}`,
    `${b64('not an object')}.${sig}`,
    `${Buffer.from('{nope').toString('base64url')}.${sig}`,
    `${b64({ typ: 'other', iss: zenith.getPublicKey() })}.${sig}`,
  ]) {
    expectRefusal(
      () => verifyGrant(bad, { trusted, ...scope, now: T0 }),
      'OMNIVA_ERR_GRANT_INVALID',
      'malformed',
    );
  }
});

test('grants - lifetimes are short: signing and verifying both cap the TTL', () => {
  expectRefusal(
    () => signGrant(zenith, { ...scope, ttl_s: MAX_GRANT_TTL_S + 1 }, T0),
    'OMNIVA_ERR_GRANT_INVALID',
    'ttl_too_long',
  );
  expectRefusal(
    () => signGrant(zenith, { ...scope, ttl_s: 0 }, T0),
    'OMNIVA_ERR_GRANT_INVALID',
    'ttl_too_long',
  );
  const token = signGrant(zenith, { ...scope, ttl_s: 600 }, T0);
  expectRefusal(
    () => verifyGrant(token, { trusted, ...scope, now: T0, max_ttl_s: 300 }),
    'OMNIVA_ERR_GRANT_INVALID',
    'ttl_too_long',
  );
});

test.run();
