import { randomUUID } from 'node:crypto';
import { createAccount, fromPublic, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { OmnivaError } from '../protocols/index.ts';

/**
 * Short-lived, audience-restricted authorizations signed by Zenith (AIN spec, Security: "agent
 * actions requiring publish: signed tokens with short TTL and audience restrictions"). A grant
 * lets one worker (`aud`) act on one entity (`sub`, e.g. a clip id) of one site for a few
 * minutes. It rides inside the command, so a command copied onto the subject by anyone but
 * Zenith, or replayed after its TTL, or aimed at another clip, is refused by the worker itself
 * even if NATS permissions were misconfigured.
 *
 * Token: `base64url(claims JSON) '.' base64url(Ed25519 signature over the first segment)`.
 * The issuer's nkey public key is inside the claims; the verifier only accepts keys it was
 * given, so the key in the token merely says which trusted key to check against.
 */

/** Domain separation: a signature made for another purpose never verifies as a grant. */
export const GRANT_TYPE = 'omniva.grant.v1';
/** The longest lifetime a verifier accepts, whatever the signer asked for. */
export const MAX_GRANT_TTL_S = 900;
/** Clock difference tolerated between Zenith's host and the worker's. */
export const DEFAULT_GRANT_SKEW_S = 30;

export interface GrantClaims {
  readonly typ: typeof GRANT_TYPE;
  /** The signer's nkey public key. */
  readonly iss: string;
  /** The worker kind allowed to act, e.g. `uploader`. */
  readonly aud: string;
  /** The entity it may act on, e.g. the clip id. */
  readonly sub: string;
  readonly site: string;
  /** Issued-at and expiry, in seconds since the epoch (JWT convention). */
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface GrantRequest {
  aud: string;
  sub: string;
  site: string;
  ttl_s: number;
}

export interface VerifyGrantOptions {
  /** Public keys whose grants are accepted (Zenith's signing keys, current and rotating). */
  trusted: readonly string[];
  aud: string;
  sub: string;
  site: string;
  /** Milliseconds since the epoch; defaults to the wall clock. */
  now?: number;
  skew_s?: number;
  max_ttl_s?: number;
}

/** Why a grant was refused; none is retryable: Zenith has to issue a new grant. */
export type GrantErrorCode =
  | 'OMNIVA_ERR_GRANT_INVALID'
  | 'OMNIVA_ERR_GRANT_EXPIRED'
  | 'OMNIVA_ERR_GRANT_SCOPE';

export type GrantRefusal =
  | 'malformed'
  | 'untrusted_issuer'
  | 'bad_signature'
  | 'not_yet_valid'
  | 'ttl_too_long'
  | 'expired'
  | 'wrong_audience'
  | 'wrong_subject'
  | 'wrong_site';

/** An OmnivaError whose info names the refusal reason. */
export class GrantError extends OmnivaError {
  declare readonly code: GrantErrorCode;
  declare readonly info: { readonly reason: GrantRefusal };

  constructor(code: GrantErrorCode, reason: GrantRefusal, message: string) {
    super(code, message, { reason });
  }

  static override is(error: unknown): error is GrantError {
    return error instanceof GrantError;
  }
}

const encoder = new TextEncoder();
const B64URL = /^[A-Za-z0-9_-]+$/;

export function signGrant(kp: KeyPair, req: GrantRequest, now = Date.now()): string {
  if (!Number.isInteger(req.ttl_s) || req.ttl_s <= 0 || req.ttl_s > MAX_GRANT_TTL_S) {
    throw new GrantError(
      'OMNIVA_ERR_GRANT_INVALID',
      'ttl_too_long',
      `grant ttl_s must be an integer in 1..${MAX_GRANT_TTL_S}, got ${req.ttl_s}`,
    );
  }
  const iat = Math.floor(now / 1000);
  const claims: GrantClaims = {
    typ: GRANT_TYPE,
    iss: kp.getPublicKey(),
    aud: req.aud,
    sub: req.sub,
    site: req.site,
    iat,
    exp: iat + req.ttl_s,
    jti: randomUUID(),
  };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = Buffer.from(kp.sign(encoder.encode(body))).toString('base64url');
  return `${body}.${sig}`;
}

/**
 * Checks a grant and returns its claims. The signature is checked before any claim is
 * believed; then time, then scope. Every refusal is a {@link GrantError}.
 */
export function verifyGrant(token: string, opts: VerifyGrantOptions): GrantClaims {
  const { body, sig, claims } = parse(token);
  if (!opts.trusted.includes(claims.iss)) {
    throw refuse('OMNIVA_ERR_GRANT_INVALID', 'untrusted_issuer', 'grant issuer is not trusted');
  }
  let valid = false;
  try {
    valid = fromPublic(claims.iss).verify(encoder.encode(body), sig);
  } catch {
    valid = false;
  }
  if (!valid) throw refuse('OMNIVA_ERR_GRANT_INVALID', 'bad_signature', 'grant signature invalid');

  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const skew = opts.skew_s ?? DEFAULT_GRANT_SKEW_S;
  if (claims.iat > now + skew) {
    throw refuse('OMNIVA_ERR_GRANT_INVALID', 'not_yet_valid', 'grant issued in the future');
  }
  if (claims.exp - claims.iat > (opts.max_ttl_s ?? MAX_GRANT_TTL_S)) {
    throw refuse('OMNIVA_ERR_GRANT_INVALID', 'ttl_too_long', 'grant lifetime exceeds the limit');
  }
  if (now >= claims.exp + skew) {
    throw refuse('OMNIVA_ERR_GRANT_EXPIRED', 'expired', `grant expired at ${claims.exp}`);
  }
  if (claims.aud !== opts.aud) {
    throw refuse('OMNIVA_ERR_GRANT_SCOPE', 'wrong_audience', `grant is not for "${opts.aud}"`);
  }
  if (claims.sub !== opts.sub) {
    throw refuse('OMNIVA_ERR_GRANT_SCOPE', 'wrong_subject', `grant is not for "${opts.sub}"`);
  }
  if (claims.site !== opts.site) {
    throw refuse('OMNIVA_ERR_GRANT_SCOPE', 'wrong_site', `grant is not for site "${opts.site}"`);
  }
  return claims;
}

function refuse(code: GrantErrorCode, reason: GrantRefusal, message: string): GrantError {
  return new GrantError(code, reason, message);
}

/** Strict parse: canonical base64url only, so one grant has exactly one encoding. */
function parse(token: string): { body: string; sig: Uint8Array; claims: GrantClaims } {
  const malformed = (why: string) =>
    refuse('OMNIVA_ERR_GRANT_INVALID', 'malformed', `grant malformed: ${why}`);
  if (typeof token !== 'string' || token.length === 0) throw malformed('empty');
  const parts = token.split('.');
  if (parts.length !== 2) throw malformed('expected two segments');
  const [body, sigText] = parts as [string, string];
  const bytes = strictBase64url(body);
  const sig = strictBase64url(sigText);
  if (!bytes || !sig || sig.length !== 64) throw malformed('bad encoding');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw malformed('claims are not JSON');
  }
  if (!isClaims(raw)) throw malformed('claims incomplete');
  return { body, sig, claims: raw };
}

function strictBase64url(text: string): Buffer | undefined {
  if (!B64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function isClaims(v: unknown): v is GrantClaims {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const c = v as Record<string, unknown>;
  const str = (k: string) => typeof c[k] === 'string' && (c[k] as string).length > 0;
  const int = (k: string) => Number.isSafeInteger(c[k]);
  return (
    c.typ === GRANT_TYPE &&
    ['iss', 'aud', 'sub', 'site', 'jti'].every(str) &&
    ['iat', 'exp'].every(int) &&
    (c.exp as number) > (c.iat as number)
  );
}

/** Zenith's grant signer: from a configured nkey seed, or a fresh key for one process. */
export interface GrantSigner {
  /** The public key uploaders must trust (`workers.uploader.trusted_keys`). */
  readonly publicKey: string;
  sign(clip_id: string, site: string, ttl_s?: number): string;
}

/** A new grant-signing key pair (an account nkey: public `A…`, seed `SA…`). */
export function createGrantKey(): { publicKey: string; seed: string } {
  const kp = createAccount();
  return { publicKey: kp.getPublicKey(), seed: new TextDecoder().decode(kp.getSeed()) };
}

export function grantSigner(seed?: string): GrantSigner {
  const kp = seed ? fromSeed(new TextEncoder().encode(seed)) : createAccount();
  return {
    publicKey: kp.getPublicKey(),
    sign: (clip_id, site, ttl_s = 600) =>
      signGrant(kp, { aud: 'uploader', sub: clip_id, site, ttl_s }),
  };
}
