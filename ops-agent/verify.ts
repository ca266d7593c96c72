import { verifyOpsSignature } from '../runtime/index.ts';
import {
  canonicalCommandBytes,
  DESTRUCTIVE_ACTIONS,
  MAX_OPS_TTL_S,
  OPS_ACTIONS,
  type OpsAction,
  type OpsCommand,
} from './command.ts';
import { ACTION_ARGS_SCHEMAS, opsCommandSchema, schemaErrors, validatorOf } from './schemas.ts';

/** Why a command was refused: stable codes, recorded in the audit packet and the result. */
export const REFUSAL_REASONS = [
  'malformed',
  'unsigned',
  'bad_signature',
  'untrusted_issuer',
  'unknown_action',
  'ttl_too_long',
  'not_yet_valid',
  'expired',
  'wrong_site',
  'wrong_host',
  'not_permitted',
  'confirmation_required',
  'replayed',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Remembers accepted nonces; `claim` is false when the nonce was already seen. */
export interface NonceStore {
  claim(nonce: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** In-process nonces, forgotten once their command has expired (tests, single-shot tools). */
export class MemoryNonceStore implements NonceStore {
  readonly #seen = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#seen.size;
  }

  claim(nonce: string, expiresAtMs: number): boolean {
    const now = this.#now();
    for (const [n, exp] of this.#seen) if (exp <= now) this.#seen.delete(n);
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, expiresAtMs);
    return true;
  }
}

/** A control-plane key the agent trusts, and the roles it may claim. */
export interface TrustedIssuer {
  publicKey: string;
  roles: readonly string[];
}

export interface VerifyCommandOptions {
  trusted: readonly TrustedIssuer[];
  site_id: string;
  host_id: string;
  /** Milliseconds since the epoch. */
  now: number;
  seen: NonceStore;
  /** Role → the actions it may run. */
  roles: Readonly<Record<string, readonly OpsAction[]>>;
  /** Clock difference tolerated between the signer and the agent (default 30 s). */
  skew_s?: number;
  max_ttl_s?: number;
}

export type Verdict =
  | { ok: true; command: OpsCommand }
  | { ok: false; reason: RefusalReason; message: string };

export const DEFAULT_OPS_SKEW_S = 30;

const B64URL = /^[A-Za-z0-9_-]+$/;

function refuse(reason: RefusalReason, message: string): Verdict {
  return { ok: false, reason, message };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decides whether a signed command may run on this host. The signature is checked before any
 * field is believed (issuer aside, which only picks the key to check with); then the action,
 * shape, time, place, role and confirmation; the nonce is claimed last, so only an accepted
 * command uses it up and a refused one can be refused again for its real reason.
 */
export async function verifyCommand(signed: unknown, o: VerifyCommandOptions): Promise<Verdict> {
  if (!isObject(signed)) return refuse('malformed', 'a signed command is a JSON object');
  const { command, signature } = signed;
  if (typeof signature !== 'string' || signature.length === 0) {
    return refuse('unsigned', 'the command carries no signature');
  }
  if (!isObject(command)) return refuse('malformed', 'the signed command has no command object');
  const sig = B64URL.test(signature) ? Buffer.from(signature, 'base64url') : undefined;
  // One encoding per signature: a re-padded or re-cased copy is not the signature that was made.
  if (sig?.length !== 64 || sig.toString('base64url') !== signature) {
    return refuse('bad_signature', 'the signature is not a base64url Ed25519 signature');
  }
  const issuer = o.trusted.find((t) => t.publicKey === command.issuer);
  if (!issuer) return refuse('untrusted_issuer', 'the issuer key is not trusted by this host');
  let bytes: Uint8Array;
  try {
    bytes = canonicalCommandBytes(command);
  } catch (e) {
    return refuse('malformed', `the command has no canonical form: ${(e as Error).message}`);
  }
  if (!verifyOpsSignature(issuer.publicKey, bytes, sig)) {
    return refuse('bad_signature', 'the signature does not match the command');
  }

  if (!(OPS_ACTIONS as readonly unknown[]).includes(command.action)) {
    return refuse(
      'unknown_action',
      `"${String(command.action).slice(0, 64)}" is not an ops action`,
    );
  }
  const shape = validatorOf(opsCommandSchema);
  if (!shape(command)) return refuse('malformed', schemaErrors(shape));
  const cmd = command as unknown as OpsCommand;

  const issued = Date.parse(cmd.issued_at);
  const expires = Date.parse(cmd.expires_at);
  const skew = (o.skew_s ?? DEFAULT_OPS_SKEW_S) * 1000;
  if (!Number.isFinite(issued) || !Number.isFinite(expires) || expires <= issued) {
    return refuse('malformed', 'expires_at must be a valid time after issued_at');
  }
  if (expires - issued > (o.max_ttl_s ?? MAX_OPS_TTL_S) * 1000) {
    return refuse('ttl_too_long', 'the command lives longer than this host accepts');
  }
  if (issued > o.now + skew)
    return refuse('not_yet_valid', `issued in the future (${cmd.issued_at})`);
  if (o.now >= expires) return refuse('expired', `expired at ${cmd.expires_at}`);

  if (cmd.site_id !== o.site_id)
    return refuse('wrong_site', `the command is for site "${cmd.site_id}"`);
  if (cmd.host_id !== o.host_id)
    return refuse('wrong_host', `the command is for host "${cmd.host_id}"`);

  if (!issuer.roles.includes(cmd.role)) {
    return refuse('not_permitted', `the issuer may not act as role "${cmd.role}"`);
  }
  if (!(o.roles[cmd.role] ?? []).includes(cmd.action)) {
    return refuse('not_permitted', `role "${cmd.role}" may not ${cmd.action}`);
  }
  const args = validatorOf(ACTION_ARGS_SCHEMAS[cmd.action]);
  if (!args(cmd.args)) return refuse('malformed', `args: ${schemaErrors(args)}`);
  if (DESTRUCTIVE_ACTIONS.includes(cmd.action) && cmd.args.confirm !== true) {
    return refuse('confirmation_required', `${cmd.action} needs args.confirm = true`);
  }

  // Remembered past expiry by the skew, so a replay cannot sneak in while a clock lags.
  if (!(await o.seen.claim(cmd.nonce, expires + skew))) {
    return refuse('replayed', 'this command was already accepted (nonce seen)');
  }
  return { ok: true, command: cmd };
}
