import type { NatsConnection } from '@nats-io/transport-node';
import {
  deriveMsgId,
  type ErrorCode,
  encode,
  envelopeHeaders,
  isUuidV4,
  makeEnvelope,
  type StardustInconsistency,
  subjects,
  type Violation,
  validateContract,
} from '../../protocols/index.ts';
import type { Logger } from '../logger.ts';
import { headersOf } from '../nats-headers.ts';
import type { LineageIndex } from './lineage.ts';
import type { StardustPacket } from './packet.ts';

/** `omniva.<site>.adv.stardust.inconsistency`: what Paradox listens to. */
export function inconsistencySubject(site: string): string {
  return subjects.adv(site, 'stardust', 'inconsistency');
}

export interface InconsistencyInput {
  reason_code: ErrorCode;
  reason: string;
  kind: unknown;
  ref: unknown;
  actor?: unknown;
  stardust_id?: string;
  seq?: number;
  unknown_parents?: string[];
  violations?: Violation[];
  trace_id?: unknown;
}

const clip = (v: unknown, n: number) =>
  (typeof v === 'string' ? v : JSON.stringify(v ?? null)).slice(0, n);

/**
 * Publishes StardustInconsistency advisories as JSON envelopes on core NATS: the site's
 * OMNIVA_EVT stream (adv.>) stores them when it is provisioned, and an advisory never holds
 * up an append. The msg_id derives from what is reported, so a re-run audit is deduplicated.
 */
export class Advisories {
  readonly #nc: NatsConnection;
  readonly #site: string;
  readonly #log: Logger;

  constructor(nc: NatsConnection, site: string, log: Logger) {
    this.#nc = nc;
    this.#site = site;
    this.#log = log;
  }

  publish(input: InconsistencyInput): StardustInconsistency | undefined {
    const payload: StardustInconsistency = {
      reason_code: input.reason_code,
      reason: clip(input.reason, 2000) || input.reason_code,
      kind: clip(input.kind, 512),
      ref: clip(input.ref, 512),
      ...(input.actor === undefined ? {} : { actor: clip(input.actor, 512) }),
      ...(input.stardust_id ? { stardust_id: input.stardust_id } : {}),
      ...(input.seq === undefined ? {} : { seq: input.seq }),
      ...(input.unknown_parents?.length ? { unknown_parents: input.unknown_parents } : {}),
      ...(input.violations?.length ? { violations: input.violations.slice(0, 20) } : {}),
      detected_at: new Date().toISOString(),
    };
    const checked = validateContract('StardustInconsistency', payload);
    if (!checked.ok) {
      // Only an id of the wrong shape can get here; report without it rather than not at all.
      delete payload.stardust_id;
    }
    try {
      const trace = typeof input.trace_id === 'string' && isUuidV4(input.trace_id);
      const envelope = makeEnvelope({
        type: 'StardustInconsistency',
        site_id: this.#site,
        payload,
        actor: 'stardust',
        ...(trace ? { trace_id: input.trace_id as string } : {}),
        ...(input.stardust_id
          ? { msg_id: deriveMsgId(`${input.stardust_id}:${input.reason_code}`, 0) }
          : {}),
      });
      const headers = headersOf(envelopeHeaders(envelope, 'json'));
      this.#nc.publish(inconsistencySubject(this.#site), encode(envelope, 'json'), { headers });
      this.#log.warn(
        { reason_code: payload.reason_code, kind: payload.kind, ref: payload.ref },
        'stardust inconsistency reported',
      );
      return payload;
    } catch (e) {
      this.#log.error({ err: e }, 'stardust inconsistency could not be published');
      return undefined;
    }
  }
}

const RECENT_IDS = 16_384;

/**
 * Checks `_meta_parents` off the append path: once the index has read up to the new packet,
 * every parent the packet can name is indexed (parents precede children in the chain), so a
 * parent still missing is unknown to the ledger and gets reported.
 */
export class ParentAuditor {
  readonly #index: LineageIndex;
  readonly #ready: () => Promise<void>;
  readonly #advisories: Advisories;
  readonly #log: Logger;
  #pending = new Set<Promise<void>>();
  // Ids this process stored lately: most parents are, and knowing them needs no index.
  readonly #recent = new Set<string>();
  readonly #recentRing: string[] = [];
  #ringAt = 0;

  constructor(
    index: LineageIndex,
    ready: () => Promise<void>,
    advisories: Advisories,
    log: Logger,
  ) {
    this.#index = index;
    this.#ready = ready;
    this.#advisories = advisories;
    this.#log = log;
  }

  check(packet: StardustPacket, seq: number): void {
    this.#remember(packet.stardust_id);
    if (packet._meta_parents.length === 0) return;
    if (packet._meta_parents.every((p) => this.#recent.has(p) || this.#index.has(p))) return;
    const job = this.#audit(packet, seq).finally(() => this.#pending.delete(job));
    this.#pending.add(job);
  }

  async #audit(packet: StardustPacket, seq: number): Promise<void> {
    try {
      await this.#ready();
      await this.#index.waitForSeq(seq);
      const unknown = packet._meta_parents.filter((p) => !this.#index.has(p));
      if (unknown.length === 0) return;
      this.#advisories.publish({
        reason_code: 'OMNIVA_ERR_STARDUST_UNKNOWN_PARENT',
        reason: `packet names ${unknown.length} parent(s) the ledger does not hold`,
        kind: packet.kind,
        ref: packet.ref,
        actor: packet.actor,
        stardust_id: packet.stardust_id,
        seq,
        unknown_parents: unknown,
        trace_id: packet.trace_id,
      });
    } catch (e) {
      this.#log.warn({ err: e, stardust_id: packet.stardust_id }, 'stardust parent audit failed');
    }
  }

  #remember(id: string): void {
    if (this.#recent.has(id)) return;
    const evicted = this.#recentRing[this.#ringAt];
    if (evicted !== undefined) this.#recent.delete(evicted);
    this.#recentRing[this.#ringAt] = id;
    this.#ringAt = (this.#ringAt + 1) % RECENT_IDS;
    this.#recent.add(id);
  }

  /** Waits for audits under way (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
