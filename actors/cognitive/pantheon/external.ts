import { OmnivaError } from '../../../protocols/index.ts';
import { type EffectHandler, resolveSecret, type SecretEnv } from '../../../runtime/index.ts';
import { clamp01, r3 } from './personas.ts';

/**
 * The optional fifth voter: a model behind an OpenAI-compatible chat-completions endpoint
 * (a local llama.cpp / vLLM / Ollama server, or a hosted one). Off unless configured. It is an
 * adapter, not a dependency: whatever goes wrong (refused, slow, garbage) becomes an outcome
 * the machine reports, and the four personas vote regardless.
 */
export interface ExternalVoterConfig {
  /** e.g. http://127.0.0.1:8080; the request goes to `{base_url}/v1/chat/completions`. */
  base_url: string;
  model: string;
  /** The whole exchange, reply body included, must finish within this. */
  timeout_ms: number;
  /** `env:NAME` or `file:/path`, resolved at call time; never the key itself. */
  api_key_ref?: string;
}

export const EXTERNAL_AGENT = 'external_llm';
/** A reply larger than this is not a vote list; reading stops there. */
const MAX_REPLY_BYTES = 1 << 20;
const MAX_COMMENTARY = 500;

export interface ExternalCandidate {
  candidate_index: number;
  start_time: number;
  end_time: number;
  tags: string[];
  features: Record<string, number>;
  /** The candidate's transcript when the analyzer supplied it (trimmed). */
  text?: string;
}

/** The effect's input: everything the model is shown, nothing it is not. */
export interface ExternalRequest {
  analysis_job_id: string;
  candidates: ExternalCandidate[];
  topic_weights: Record<string, number>;
}

export interface ExternalVote {
  candidate_index: number;
  vote: number;
  confidence: number;
  commentary: string;
}

export type ExternalOutcome =
  | { status: 'voted'; votes: ExternalVote[]; detail?: string }
  | { status: 'failed' | 'timeout'; detail: string };

const SYSTEM_PROMPT = [
  'You are one voter in an ensemble that picks which moments of a long video become short clips.',
  'For every candidate give: vote (0..1, how strongly it should become a short),',
  'confidence (0..1), commentary (one sentence naming what drove the vote, at most 200 characters).',
  'Reply with only a JSON array, no prose:',
  '[{"candidate_index":0,"vote":0.7,"confidence":0.6,"commentary":"..."}]',
].join(' ');

/** The chat-completions body. temperature 0 so a deterministic server answers alike twice. */
export function chatRequest(cfg: ExternalVoterConfig, req: ExternalRequest): object {
  return {
    model: cfg.model,
    temperature: 0,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: JSON.stringify({ topic_weights: req.topic_weights, candidates: req.candidates }),
      },
    ],
  };
}

export function completionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/chat/completions`;
}

/** The model's text: `choices[0].message.content` of a chat-completions reply. */
function contentOf(reply: unknown): string | undefined {
  const choices = (reply as { choices?: unknown })?.choices;
  if (!Array.isArray(choices)) return undefined;
  const content = (choices[0] as { message?: { content?: unknown } })?.message?.content;
  return typeof content === 'string' ? content : undefined;
}

/** Models wrap JSON in code fences or a sentence: take the outermost array (or {votes: [...]}). */
function extractArray(content: string): unknown[] | undefined {
  const attempts = [content.trim()];
  const start = content.indexOf('[');
  const end = content.lastIndexOf(']');
  if (start >= 0 && end > start) attempts.push(content.slice(start, end + 1));
  for (const text of attempts) {
    try {
      const v: unknown = JSON.parse(text);
      if (Array.isArray(v)) return v;
      const votes = (v as { votes?: unknown })?.votes;
      if (Array.isArray(votes)) return votes;
    } catch {
      // not JSON as it stands; try the next reading
    }
  }
  return undefined;
}

const printable = (s: string) =>
  s
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * Keeps the usable votes of a model's reply: known candidate, finite numbers (clamped to 0..1,
 * rounded), first vote per candidate only. Confidence defaults to 0.5 when the model gave none.
 */
export function parseVotes(
  reply: unknown,
  indices: readonly number[],
): { ok: true; votes: ExternalVote[]; dropped: number } | { ok: false; detail: string } {
  const content = contentOf(reply);
  if (content === undefined)
    return { ok: false, detail: 'reply has no choices[0].message.content' };
  const items = extractArray(content);
  if (!items) return { ok: false, detail: 'reply content is not a JSON array of votes' };
  const known = new Set(indices);
  const votes = new Map<number, ExternalVote>();
  for (const item of items) {
    const o = item as Record<string, unknown>;
    const i = o?.candidate_index;
    const v = o?.vote;
    const c = o?.confidence ?? 0.5;
    if (typeof i !== 'number' || !known.has(i) || votes.has(i)) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (typeof c !== 'number' || !Number.isFinite(c)) continue;
    const said = typeof o.commentary === 'string' ? printable(o.commentary) : '';
    const commentary = `model: ${said || 'no commentary'}`;
    votes.set(i, {
      candidate_index: i,
      vote: r3(clamp01(v)),
      confidence: r3(clamp01(c)),
      commentary:
        commentary.length > MAX_COMMENTARY
          ? `${commentary.slice(0, MAX_COMMENTARY - 3)}...`
          : commentary,
    });
  }
  if (votes.size === 0) return { ok: false, detail: 'reply holds no usable vote' };
  const sorted = [...votes.values()].sort((a, b) => a.candidate_index - b.candidate_index);
  return { ok: true, votes: sorted, dropped: items.length - votes.size };
}

/** Reads at most MAX_REPLY_BYTES: a misbehaving server cannot make us buffer without end. */
async function readCapped(res: Response): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_REPLY_BYTES) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(e: unknown): string {
  const err = e as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof err?.cause?.code === 'string' ? ` (${err.cause.code})` : '';
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  return `${msg}${code}`.slice(0, 300);
}

/**
 * Asks the endpoint once. Never throws for the endpoint's faults: they come back as
 * `failed` / `timeout` with a detail. Only an abort from `signal` (the host stopping) throws,
 * retryable, so the outcome is not journaled and a redelivery asks again.
 */
export async function askExternal(
  cfg: ExternalVoterConfig,
  req: ExternalRequest,
  opts: { signal?: AbortSignal; apiKey?: string } = {},
): Promise<ExternalOutcome> {
  const timeout = AbortSignal.timeout(cfg.timeout_ms);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const url = completionsUrl(cfg.base_url);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify(chatRequest(cfg, req)),
      signal,
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return { status: 'failed', detail: `${url} answered HTTP ${res.status}` };
    }
    const text = await readCapped(res);
    if (text === undefined) {
      return { status: 'failed', detail: `reply larger than ${MAX_REPLY_BYTES} bytes` };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 'failed', detail: 'reply is not JSON' };
    }
    const parsed = parseVotes(
      body,
      req.candidates.map((c) => c.candidate_index),
    );
    if (!parsed.ok) return { status: 'failed', detail: parsed.detail };
    const n = req.candidates.length;
    return {
      status: 'voted',
      votes: parsed.votes,
      detail: `${cfg.model} voted on ${parsed.votes.length} of ${n} candidates${parsed.dropped ? `; ${parsed.dropped} unusable entries dropped` : ''}`,
    };
  } catch (e) {
    if (opts.signal?.aborted && !timeout.aborted) {
      throw new OmnivaError('OMNIVA_ERR_EFFECT_FAILED', 'external vote aborted', undefined, {
        retryable: true,
      });
    }
    if (timeout.aborted) {
      return {
        status: 'timeout',
        detail: `no complete reply from ${url} within ${cfg.timeout_ms} ms`,
      };
    }
    return { status: 'failed', detail: `${url}: ${describe(e)}` };
  }
}

/**
 * The `ask_external` effect. Its outcome (even failed / timeout) is the effect's output, so the
 * journal keeps it and a redelivered report replays the same votes instead of asking again.
 */
export function externalEffect(cfg: ExternalVoterConfig, env: SecretEnv = {}): EffectHandler {
  return async (input, ctx) => {
    let apiKey: string | undefined;
    if (cfg.api_key_ref) {
      try {
        apiKey = await resolveSecret(cfg.api_key_ref, env);
      } catch (e) {
        // The message names the reference, never a value.
        return { status: 'failed', detail: `api key: ${describe(e)}` } satisfies ExternalOutcome;
      }
    }
    return askExternal(cfg, input as ExternalRequest, {
      signal: ctx.signal,
      ...(apiKey ? { apiKey } : {}),
    });
  };
}
