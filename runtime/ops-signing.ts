import { createOperator, fromPublic, fromSeed } from '@nats-io/nkeys';
import { OmnivaError } from '../protocols/index.ts';

/**
 * Ed25519 primitives for operator commands (design §7), kept in runtime because only runtime
 * imports `@nats-io/*`. The Ops Agent and the CLI sign and verify bytes through these; what
 * the bytes are (the RFC 8785 form of a command) is the ops-agent's business.
 *
 * Operator keys (`O…` public, `SO…` seed) are used so a leaked ops key is never mistaken
 * for a NATS user or account credential, but any nkey public key verifies.
 */

export interface OpsKeyPair {
  readonly publicKey: string;
  /** The nkey seed; the only secret. Never log it. */
  readonly seed: string;
}

export interface OpsSigner {
  readonly publicKey: string;
  /** Ed25519 signature (64 bytes) over exactly `bytes`. */
  sign(bytes: Uint8Array): Uint8Array;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A fresh operator key pair. */
export function createOpsKey(): OpsKeyPair {
  const kp = createOperator();
  return { publicKey: kp.getPublicKey(), seed: decoder.decode(kp.getSeed()) };
}

/** A signer from a seed (whitespace around it, as in a file, is ignored). */
export function opsSignerFromSeed(seed: string): OpsSigner {
  let kp: ReturnType<typeof fromSeed>;
  try {
    kp = fromSeed(encoder.encode(seed.trim()));
  } catch (e) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      'the ops seed is not a valid nkey seed',
      undefined,
      {
        cause: e,
      },
    );
  }
  return { publicKey: kp.getPublicKey(), sign: (bytes) => kp.sign(bytes) };
}

/** True only for a well-formed nkey public key. */
export function isOpsPublicKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0) return false;
  try {
    fromPublic(key);
    return true;
  } catch {
    return false;
  }
}

/** Checks an Ed25519 signature; a malformed key or signature is simply not valid. */
export function verifyOpsSignature(
  publicKey: string,
  bytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  try {
    return fromPublic(publicKey).verify(bytes, signature);
  } catch {
    return false;
  }
}
