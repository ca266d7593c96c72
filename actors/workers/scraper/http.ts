import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerError } from '../internal/worker-error.ts';

export interface HttpOptions {
  /** Per request, connect to last byte. */
  timeoutMs: number;
  /** A 429 whose Retry-After is at most this long is waited out here, once. */
  maxRetryAfterMs: number;
  /** Extra request headers for this URL's host (credentials, resolved from a secret). */
  headers?: (url: URL) => Record<string, string> | Promise<Record<string, string>>;
  signal?: AbortSignal;
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * GET with the scraper's error vocabulary (spec §5.1): no answer in time or no connection is
 * `network_timeout`, 429 is `rate_limited` (a short Retry-After is honoured here, a long one
 * travels with the error), 401/403 is `auth_failed`. 5xx is retryable like a timeout; any
 * other 4xx is a `bad_command`: the same URL will fail the same way.
 */
export async function httpGet(url: string, opts: HttpOptions): Promise<Response> {
  const target = new URL(url);
  for (let attempt = 1; ; attempt++) {
    const signal = opts.signal
      ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)])
      : AbortSignal.timeout(opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(target, {
        headers: (await opts.headers?.(target)) ?? {},
        signal,
        redirect: 'follow',
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new WorkerError('network_timeout', `GET ${redact(target)} failed: ${reason(e)}`, {
        retryable: true,
        cause: e,
      });
    }
    if (res.ok) return res;
    await res.body?.cancel().catch(() => {});
    if (res.status === 429) {
      const wait = retryAfterMs(res.headers.get('retry-after'));
      if (attempt === 1 && wait !== undefined && wait <= opts.maxRetryAfterMs) {
        await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : {});
        continue;
      }
      throw new WorkerError('rate_limited', `GET ${redact(target)}: 429 Too Many Requests`, {
        retryable: true,
        detail: wait === undefined ? {} : { retry_after_s: Math.ceil(wait / 1000) },
      });
    }
    if (res.status === 401 || res.status === 403)
      throw new WorkerError('auth_failed', `GET ${redact(target)}: ${res.status}`, {
        retryable: false,
      });
    if (res.status >= 500)
      throw new WorkerError('network_timeout', `GET ${redact(target)}: ${res.status}`, {
        retryable: true,
      });
    throw new WorkerError('bad_command', `GET ${redact(target)}: ${res.status}`, {
      retryable: false,
    });
  }
}

/** Streams a response body to a file, bounded by `maxBytes`. */
export async function saveBody(res: Response, file: string, maxBytes: number): Promise<number> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooBig(declared, maxBytes);
  let size = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  body.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) body.destroy(tooBig(size, maxBytes));
  });
  try {
    await pipeline(body, createWriteStream(file));
  } catch (e) {
    if (e instanceof WorkerError) throw e;
    throw new WorkerError('network_timeout', `download interrupted: ${reason(e)}`, {
      retryable: true,
      cause: e,
    });
  }
  return size;
}

/** A URL safe to log and record: no userinfo, no query (tokens often travel there). */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function tooBig(size: number, max: number): WorkerError {
  return new WorkerError('bad_command', `download of ${size} bytes exceeds the ${max}-byte limit`, {
    retryable: false,
  });
}

function reason(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError') return 'timed out';
  return err?.cause?.code ?? err?.message ?? String(e);
}
