import type { KV } from '@nats-io/kv';
import { OmnivaError } from '../protocols/index.ts';
import type {
  EffectContext,
  EffectDoneEvent,
  EffectEmit,
  EffectFailedEvent,
  EffectHandler,
} from './actor-kind.ts';
import { HostStopping } from './internal/cancellation.ts';
import { keyToken } from './internal/record.ts';

type JournalEntry =
  | { ok: true; output: unknown }
  | { ok: false; error: { code: string; message: string; retryable: boolean } };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toFailure(e: unknown): JournalEntry & { ok: false } {
  if (OmnivaError.is(e))
    return { ok: false, error: { code: e.code, message: e.message, retryable: e.retryable } };
  const err = e as { code?: unknown; retryable?: unknown; message?: unknown };
  return {
    ok: false,
    error: {
      code: typeof err?.code === 'string' ? err.code : 'OMNIVA_ERR_EFFECT_FAILED',
      message: typeof err?.message === 'string' ? err.message : String(e),
      retryable: typeof err?.retryable === 'boolean' ? err.retryable : true,
    },
  };
}

/**
 * Runs effects at most once per idempotency key, as far as the journal can see:
 * a finished effect's result is recorded durably and replayed on redelivery instead
 * of running again. An effect interrupted before its result was recorded runs again,
 * so handlers receive the key and make their own side effect idempotent with it.
 * Retryable failures are not recorded, so a redelivery tries again.
 */
export class EffectJournal {
  readonly #kv: KV;
  readonly #site: string;

  constructor(kv: KV, site: string) {
    this.#kv = kv;
    this.#site = site;
  }

  journalKey(kind: string, instanceKey: string, effectId: string): string {
    return `${kind}.${keyToken(instanceKey)}.${keyToken(effectId)}`;
  }

  async run(
    kind: string,
    instanceKey: string,
    emit: EffectEmit,
    handler: EffectHandler | undefined,
    signal: AbortSignal,
    now: () => number,
    report: EffectContext['report'] = () => {},
  ): Promise<EffectDoneEvent | EffectFailedEvent> {
    const key = this.journalKey(kind, instanceKey, emit.id);
    const stored = await this.#kv.get(key);
    let entry: JournalEntry;
    if (stored && stored.operation === 'PUT') {
      entry = JSON.parse(decoder.decode(stored.value)) as JournalEntry;
    } else {
      entry = await this.#execute(emit, handler, {
        idempotencyKey: key,
        site: this.#site,
        signal,
        report,
      });
      if (!entry.ok && signal.reason instanceof HostStopping) {
        // However the handler took the abort, its host stopping is no verdict on the effect.
        entry = { ok: false, error: { ...entry.error, retryable: true } };
      } else if (entry.ok || !entry.error.retryable) {
        await this.#kv.put(key, encoder.encode(JSON.stringify(entry)));
      }
    }
    return entry.ok
      ? { type: 'effect.done', id: emit.id, name: emit.name, output: entry.output, now: now() }
      : { type: 'effect.failed', id: emit.id, name: emit.name, error: entry.error, now: now() };
  }

  async #execute(
    emit: EffectEmit,
    handler: EffectHandler | undefined,
    ctx: EffectContext,
  ): Promise<JournalEntry> {
    if (!handler) {
      return {
        ok: false,
        error: {
          code: 'OMNIVA_ERR_EFFECT_FAILED',
          message: `no effect named "${emit.name}"`,
          retryable: false,
        },
      };
    }
    try {
      return {
        ok: true,
        output: await handler(emit.input, ctx),
      };
    } catch (e) {
      return toFailure(e);
    }
  }
}
