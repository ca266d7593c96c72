import { type Envelope, HEADERS, parseSubject } from '../../protocols/index.ts';
import type { Ledger } from '../stardust/index.ts';

/** The ledger packet kind for what travels on each subject kind. */
const PACKET_KIND: Record<string, string> = {
  cmd: 'command',
  evt: 'event',
  adv: 'advice',
  alert: 'alert',
  dlq: 'dead_letter',
};

/**
 * Top-level `<entity>_id` (and `<entity>_key`) fields of a payload, as the packet's entity references
 * (video_id → video, clip_id → clip, job_id → job, …): how lineage finds an entity's story.
 */
export function entitiesOf(payload: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(payload)) {
    // `job_key` names the job as `job_id` does: advice and decisions about a job use it.
    const m = /^([a-z][a-z_]*)_(?:id|key)$/.exec(field);
    if (m?.[1] && typeof value === 'string' && value.length > 0) out[m[1]] = [value];
  }
  return out;
}

// The message body travels along when it is small (scores, votes, decisions, ids) so an
// explanation needs nothing else; big bodies (whole transcripts) stay in their stream and the
// packet keeps the reference. 16 KB holds a vote report of a few candidates.
const MAX_BODY_BYTES = 16_384;

function leanBody(payload: unknown): { body?: unknown } {
  const text = JSON.stringify(payload);
  return text.length <= MAX_BODY_BYTES ? { body: payload } : {};
}

/** The header that carries a message's packet id to whoever receives it (none without one). */
export function stardustHeader(stardustId: string | undefined): Record<string, string> {
  return stardustId ? { [HEADERS.stardustId]: stardustId } : {};
}

/**
 * Records a message in Stardust before it is published (design §6: no event bypasses the
 * ledger). Recording is idempotent per message id, so a republish after a crash finds the
 * packet already there. Without a ledger (bare runtime tests, benchmarks) it does nothing.
 */
export class Recorder {
  constructor(
    private readonly ledger: Ledger | undefined,
    private readonly actor: string,
  ) {}

  get enabled(): boolean {
    return this.ledger !== undefined;
  }

  /** Returns the packet's stardust_id, or undefined when no ledger is configured. */
  async record(
    subject: string,
    envelope: Envelope,
    causedBy?: string,
  ): Promise<string | undefined> {
    if (!this.ledger) return undefined;
    const { kind, tokens } = parseSubject(subject);
    const parents = [...(envelope._meta_parents ?? [])];
    if (causedBy && !parents.includes(causedBy)) parents.push(causedBy);
    const packet = await this.ledger.append({
      kind: PACKET_KIND[kind] ?? kind,
      ref: envelope.msg_id,
      actor: envelope.actor ?? this.actor,
      trace_id: envelope.trace_id,
      _meta_parents: parents,
      entities: entitiesOf(envelope.payload as Record<string, unknown>),
      payload: {
        subject,
        type: envelope.type,
        msg_id: envelope.msg_id,
        ...(envelope.causation_id ? { causation_id: envelope.causation_id } : {}),
        ...(envelope.command
          ? { epoch: envelope.command.epoch, issued_by: envelope.command.issued_by }
          : {}),
        ...(kind === 'evt' || kind === 'adv' ? { name: tokens.at(-1) } : {}),
        ...leanBody(envelope.payload),
      },
    });
    return packet.stardust_id;
  }
}
