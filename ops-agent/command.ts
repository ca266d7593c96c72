import { randomBytes } from 'node:crypto';
import { OmnivaError } from '../protocols/index.ts';
import type { OpsSigner } from '../runtime/index.ts';
import { canonicalJson } from '../runtime/stardust/jcs.ts';
import { OPS_ACTIONS } from './schemas.ts';

export { OPS_ACTIONS };

/** The only things an Ops Agent will do (design §7). There is no shell action, on purpose. */
export type OpsAction = (typeof OPS_ACTIONS)[number];

/** Actions that lose work or interrupt it: the operator has to say so (`args.confirm`). */
export const DESTRUCTIVE_ACTIONS: readonly OpsAction[] = [
  'restart_worker',
  'drain_worker',
  'cancel_run',
];

/** The longest command lifetime an agent accepts, whatever the signer asked for. */
export const MAX_OPS_TTL_S = 3_600;
export const DEFAULT_OPS_TTL_S = 60;

interface Common {
  confirm?: boolean;
  reason?: string;
}

export interface OpsArgs {
  /** `worker` is the kind (`editor`); `instance` narrows to one placed instance. */
  restart_worker: Common & { worker: string; instance?: string };
  drain_worker: Common & { worker: string; instance?: string };
  /** A queue is a worker kind's command queue, as Zenith pauses it (`*` is not allowed). */
  pause_queue: Common & { queue: string };
  resume_queue: Common & { queue: string };
  /** `worker` is the actor whose effect runs; `run_id` its instance key (e.g. the job id). */
  cancel_run: Common & { worker: string; run_id: string };
  retry_stage: Common & { run_id: string; stage: string };
}

export interface OpsCommand<A extends OpsAction = OpsAction> {
  site_id: string;
  host_id: string;
  action: A;
  args: OpsArgs[A];
  /** ISO 8601 UTC. */
  issued_at: string;
  expires_at: string;
  /** Random, base64url; remembered by the agent until the command expires. */
  nonce: string;
  /** The role the issuer claims; the agent checks the key may hold it and it may do `action`. */
  role: string;
  /** The signer's nkey public key. */
  issuer: string;
}

export interface SignedOpsCommand {
  command: OpsCommand;
  /** base64url Ed25519 signature over {@link canonicalCommandBytes}. */
  signature: string;
}

const encoder = new TextEncoder();

/**
 * The exact bytes that are signed: RFC 8785 canonical JSON of the command, so the same
 * command signs the same whatever order its keys were written in or whoever serialised it.
 */
export function canonicalCommandBytes(command: unknown): Uint8Array {
  return encoder.encode(canonicalJson(command));
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export interface CommandRequest<A extends OpsAction = OpsAction> {
  site_id: string;
  host_id: string;
  action: A;
  args: OpsArgs[A];
  role: string;
  /** Lifetime in seconds (default 60, at most {@link MAX_OPS_TTL_S}). */
  ttl_s?: number;
  /** Milliseconds since the epoch; the wall clock by default. */
  now?: number;
  nonce?: string;
}

/** Fills time, nonce and issuer, then signs. */
export function issueCommand<A extends OpsAction>(
  signer: OpsSigner,
  req: CommandRequest<A>,
): SignedOpsCommand {
  const ttl = req.ttl_s ?? DEFAULT_OPS_TTL_S;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_OPS_TTL_S) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      `ttl must be an integer in 1..${MAX_OPS_TTL_S} seconds, got ${ttl}`,
    );
  }
  if (!(OPS_ACTIONS as readonly string[]).includes(req.action)) {
    throw new OmnivaError('OMNIVA_ERR_CONFIG_INVALID', `unknown ops action "${req.action}"`);
  }
  // Whole seconds, so the time fields read the same in every tool.
  const now = Math.floor((req.now ?? Date.now()) / 1000) * 1000;
  const command: OpsCommand<A> = {
    site_id: req.site_id,
    host_id: req.host_id,
    action: req.action,
    args: req.args,
    issued_at: new Date(now).toISOString(),
    expires_at: new Date(now + ttl * 1000).toISOString(),
    nonce: req.nonce ?? newNonce(),
    role: req.role,
    issuer: signer.publicKey,
  };
  return signCommand(signer, command as OpsCommand);
}

/** Signs a complete command; its `issuer` must be the signer's key. */
export function signCommand(signer: OpsSigner, command: OpsCommand): SignedOpsCommand {
  if (command.issuer !== signer.publicKey) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      'the command names another issuer than the signing key',
    );
  }
  const signature = Buffer.from(signer.sign(canonicalCommandBytes(command))).toString('base64url');
  return { command, signature };
}
