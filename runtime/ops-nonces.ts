import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { OmnivaError, SITE_ID_PATTERN, TOKEN_PATTERN } from '../protocols/index.ts';
import { isWrongRevision } from './lease.ts';

/**
 * Nonces of operator commands an Ops Agent has accepted (design §7: replay protection). Kept
 * in KV, not memory, so an agent restarted within a command's lifetime still refuses a
 * replay, and two agents sharing a host id cannot both accept the same command.
 */
export const OPS_NONCE_BUCKET = 'OMNIVA_OPS_NONCES';

/**
 * How long the server keeps a nonce. It must outlive every command the agent accepts (the
 * agent caps a command's lifetime below this), after which `expires_at` alone refuses it.
 */
export const DEFAULT_OPS_NONCE_TTL_MS = 2 * 3_600_000;

/** Creates the bucket, or binds to it unchanged if it exists: safe on every agent start. */
export async function provisionOpsNonces(
  nc: NatsConnection,
  o: { replicas?: number; ttlMs?: number } = {},
): Promise<KV> {
  // Kvm.create reads the stream first and binds to it when it exists (config left as is).
  return new Kvm(nc).create(OPS_NONCE_BUCKET, {
    history: 1,
    replicas: o.replicas ?? 1,
    ttl: o.ttlMs ?? DEFAULT_OPS_NONCE_TTL_MS,
  });
}

const SITE = new RegExp(SITE_ID_PATTERN);
const TOKEN = new RegExp(TOKEN_PATTERN);

export function opsNonceKey(site: string, host: string, nonce: string): string {
  if (!SITE.test(site) || !TOKEN.test(host) || !TOKEN.test(nonce)) {
    throw new OmnivaError(
      'OMNIVA_ERR_SUBJECT_TOKEN',
      `invalid nonce key parts site=${JSON.stringify(site)} host=${JSON.stringify(host)}`,
    );
  }
  return `nonce.${site}.${host}.${nonce}`;
}

/**
 * `claim` is one `kv.create`: the server decides atomically whether the nonce was seen, so
 * there is no read-then-write window in which a replay could slip through.
 */
export class KvNonceStore {
  readonly #kv: KV;
  readonly #site: string;
  readonly #host: string;

  constructor(kv: KV, site: string, host: string) {
    this.#kv = kv;
    this.#site = site;
    this.#host = host;
  }

  static async open(nc: NatsConnection, site: string, host: string): Promise<KvNonceStore> {
    return new KvNonceStore(await provisionOpsNonces(nc), site, host);
  }

  /** True if the nonce was new and is now remembered; false if it was already claimed. */
  async claim(nonce: string, expiresAtMs: number): Promise<boolean> {
    const key = opsNonceKey(this.#site, this.#host, nonce);
    try {
      await this.#kv.create(
        key,
        JSON.stringify({ expires_at: new Date(expiresAtMs).toISOString() }),
      );
      return true;
    } catch (e) {
      if (isWrongRevision(e)) return false;
      throw new OmnivaError(
        'OMNIVA_ERR_FENCING_UNAVAILABLE',
        'ops nonce could not be recorded',
        {
          key,
        },
        { cause: e },
      );
    }
  }
}
