import type { FileHandle } from 'node:fs/promises';
import type { WorkerErrorCode } from '../../../../protocols/index.ts';
import { interrupted, UploaderError } from '../errors.ts';

/**
 * Google's resumable upload protocol, as the YouTube Data API uses it for `videos.insert`.
 * The client library only offers one-shot multipart/media uploads, which restart from byte 0
 * after a dropped connection; this speaks the protocol directly so an upload resumes from
 * what the server committed, also after a process restart (the session URI is persisted by
 * the caller):
 *   POST <root>/upload/youtube/v3/videos?uploadType=resumable  → 200, Location: session URI
 *   PUT <session> Content-Range: bytes a-b/total  (body)        → 308 Range: bytes=0-n | 200/201
 *   PUT <session> Content-Range: bytes * /total  (no body)       → the same: a status query
 * A 404/410 on the session means it expired: the caller starts a new one.
 */

export interface HttpContext {
  /** Authorization headers, refreshed by the OAuth client as needed. */
  auth: () => Promise<Record<string, string>>;
  signal: AbortSignal;
  /** Per request: a connection that stops answering is abandoned and the session queried. */
  timeoutMs: number;
}

export interface VideoResource {
  id?: string;
  status?: { privacyStatus?: string; publishAt?: string; uploadStatus?: string };
}

export type SessionState =
  | { kind: 'done'; resource: VideoResource }
  | { kind: 'partial'; offset: number }
  | { kind: 'gone' };

/** A refusal by the platform, with its HTTP status (a 401 earns one token refresh). */
export class PlatformError extends UploaderError {
  readonly status: number;

  constructor(code: WorkerErrorCode, message: string, retryable: boolean, status: number) {
    super(code, message, retryable);
    this.status = status;
  }
}

const QUOTA = new Set(['quotaExceeded', 'dailyLimitExceeded', 'uploadLimitExceeded']);
const RATE = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/** Maps an error response to the spec's reason codes (§5.4) and whether a retry can help. */
export function classify(status: number, body: unknown): PlatformError {
  const err = (body as { error?: { message?: unknown; errors?: { reason?: unknown }[] } })?.error;
  const reasons = (Array.isArray(err?.errors) ? err.errors : [])
    .map((e) => e?.reason)
    .filter((r): r is string => typeof r === 'string');
  const detail = typeof err?.message === 'string' ? `: ${err.message.slice(0, 300)}` : '';
  const text = `youtube answered ${status}${reasons.length ? ` ${reasons.join(',')}` : ''}${detail}`;
  const has = (set: Set<string>) => reasons.some((r) => set.has(r));
  if (has(QUOTA)) return new PlatformError('quota_exceeded', text, false, status);
  if (status === 429 || has(RATE)) return new PlatformError('rate_limited', text, true, status);
  if (status === 401 || status === 403)
    return new PlatformError('auth_failed', text, false, status);
  if (status === 408 || status >= 500) {
    return new PlatformError('network_timeout', text, true, status);
  }
  return new PlatformError('bad_command', text, false, status);
}

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'connection error';
}

async function send(url: string, init: RequestInit, h: HttpContext): Promise<Response> {
  if (h.signal.aborted) throw interrupted();
  const auth = await h.auth();
  const timeout = AbortSignal.timeout(h.timeoutMs);
  try {
    return await fetch(url, {
      ...init,
      headers: { ...auth, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.any([h.signal, timeout]),
      // A 308 here means "resume incomplete", never a redirect to follow.
      redirect: 'manual',
    });
  } catch (error) {
    if (h.signal.aborted) throw interrupted();
    const why = timeout.aborted ? `no answer within ${h.timeoutMs} ms` : causeCode(error);
    throw new UploaderError('network_timeout', `youtube unreachable (${why})`, true, error);
  }
}

async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** 308 with `Range: bytes=0-n` means n+1 bytes are committed; no Range means none. */
function committed(res: Response): number {
  const m = /^bytes=0-(\d+)$/.exec(res.headers.get('range') ?? '');
  return m ? Number(m[1]) + 1 : 0;
}

async function sessionState(res: Response): Promise<SessionState> {
  if (res.status === 200 || res.status === 201) {
    return { kind: 'done', resource: ((await bodyOf(res)) ?? {}) as VideoResource };
  }
  if (res.status === 308) {
    await res.arrayBuffer().catch(() => undefined);
    return { kind: 'partial', offset: committed(res) };
  }
  if (res.status === 404 || res.status === 410) {
    await res.arrayBuffer().catch(() => undefined);
    return { kind: 'gone' };
  }
  throw classify(res.status, await bodyOf(res));
}

/** Opens an upload session and returns its URI. */
export async function initiate(
  uploadUrl: string,
  resource: object,
  size: number,
  mime: string,
  h: HttpContext,
): Promise<string> {
  const url = new URL(uploadUrl);
  url.searchParams.set('uploadType', 'resumable');
  url.searchParams.set('part', 'snippet,status');
  const res = await send(
    url.href,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        'x-upload-content-length': String(size),
        'x-upload-content-type': mime,
      },
      body: JSON.stringify(resource),
    },
    h,
  );
  if (res.status !== 200 && res.status !== 201) throw classify(res.status, await bodyOf(res));
  await res.arrayBuffer().catch(() => undefined);
  const location = res.headers.get('location');
  let session: URL;
  try {
    session = new URL(location ?? '');
  } catch {
    throw new UploaderError('internal', 'youtube opened no upload session (no Location)', true);
  }
  // The session URI gets the bearer token: only ever send it back to Google or the configured root.
  const trusted =
    session.origin === url.origin ||
    (session.protocol === 'https:' && session.hostname.endsWith('.googleapis.com'));
  if (!trusted) {
    throw new UploaderError('internal', 'youtube named an upload session on a foreign host', false);
  }
  return session.href;
}

/** Asks how much of the file the session holds (or whether it completed). */
export async function query(session: string, size: number, h: HttpContext): Promise<SessionState> {
  const res = await send(
    session,
    { method: 'PUT', headers: { 'content-range': `bytes */${size}` }, body: '' },
    h,
  );
  return sessionState(res);
}

/** Sends bytes [start, end) of the file; the server answers with what it now holds. */
export async function putChunk(
  session: string,
  file: FileHandle,
  range: { start: number; end: number; size: number },
  mime: string,
  h: HttpContext,
): Promise<SessionState> {
  const { start, end, size } = range;
  const bytes = Buffer.alloc(end - start);
  const { bytesRead } = await file.read(bytes, 0, bytes.length, start);
  if (bytesRead !== bytes.length) {
    throw new UploaderError('internal', 'clip file shorter than when the upload began', false);
  }
  const res = await send(
    session,
    {
      method: 'PUT',
      headers: { 'content-type': mime, 'content-range': `bytes ${start}-${end - 1}/${size}` },
      body: bytes,
    },
    h,
  );
  return sessionState(res);
}
