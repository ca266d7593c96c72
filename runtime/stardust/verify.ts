import { parseStoredPacket } from './packet.ts';
import type { LedgerStore } from './store.ts';

export type VerifyResult =
  | { ok: true; count: number }
  | {
      ok: false;
      /** Stream sequence of the first broken link. */
      seq: number;
      /** The packet at that place: its claimed id, or for a deleted one the id the next packet names. */
      stardust_id?: string;
      reason: string;
      /** Packets checked before the break. */
      count: number;
    };

/**
 * Walks the ledger from its first sequence and reports the FIRST broken link: a missing
 * (deleted) sequence, a message that is not a valid packet, an id that does not recompute,
 * or a `prev` that is not the packet right before it. A forged packet fails one of these
 * unless its forger also had the chain head — which NATS permissions (only the runtime may
 * publish on stardust subjects) are there to prevent.
 */
export async function verifyLedger(store: LedgerStore): Promise<VerifyResult> {
  const { first, last, messages } = await store.state();
  if (last === 0) return { ok: true, count: 0 };

  let expected = 1;
  let prev: string | null = null;
  let count = 0;
  let broken: VerifyResult | undefined;
  // A message deleted at the start moves the stream's first sequence: that is a gap too.
  if (first > 1) {
    broken = {
      ok: false,
      seq: 1,
      reason: `packets at sequences 1..${first - 1} are missing (deleted or purged)`,
      count,
    };
  }
  if (!broken && messages > 0) {
    const abort = new AbortController();
    await store.scan({ signal: abort.signal }, (m) => {
      if (broken) return;
      const fail = (reason: string, seq: number, stardust_id?: string) => {
        broken = {
          ok: false,
          seq,
          reason,
          count,
          ...(stardust_id === undefined ? {} : { stardust_id }),
        };
        abort.abort();
      };
      const parsed = parseStoredPacket(store.site, m.subject, m.data, m.msgId());
      if (m.seq !== expected) {
        // The packet after the gap names the missing one (when it is a packet at all).
        const named = parsed.ok ? (parsed.packet.prev ?? undefined) : undefined;
        const span = m.seq - expected === 1 ? `${expected}` : `${expected}..${m.seq - 1}`;
        fail(`packet at sequence ${span} is missing (deleted)`, expected, named);
        return;
      }
      if (!parsed.ok) {
        fail(parsed.reason, m.seq, parsed.stardust_id);
        return;
      }
      const p = parsed.packet;
      if (p.prev !== prev) {
        const wanted = prev === null ? 'null (the first packet)' : prev;
        fail(`prev is ${p.prev ?? 'null'}, expected ${wanted}`, m.seq, p.stardust_id);
        return;
      }
      prev = p.stardust_id;
      expected = m.seq + 1;
      count++;
    });
  }
  if (broken) return broken;
  if (expected <= last) {
    const span = last === expected ? `${expected}` : `${expected}..${last}`;
    return {
      ok: false,
      seq: expected,
      reason: `packet at sequence ${span} is missing (deleted)`,
      count,
    };
  }
  return { ok: true, count };
}
