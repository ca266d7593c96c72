import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { youtube } from '@googleapis/youtube';
import { OAuth2Client } from 'google-auth-library';
import { interrupted, UploaderError } from './errors.ts';
import { readJson, sniffImage, writeFileAtomic } from './internal/files.ts';
import {
  type HttpContext,
  initiate,
  PlatformError,
  putChunk,
  query,
  type SessionState,
} from './internal/resumable.ts';
import { type VideoPlan, videoPlan } from './internal/youtube-meta.ts';
import { resolveSecret, type SecretEnv } from './secrets.ts';
import { type PublishInput, type PublishResult, type PublishTarget, SAFE_KEY } from './targets.ts';

export interface YoutubeTargetOptions {
  /** Upload records live in `<dataDir>/uploader/youtube/` (session URIs: mode 0600). */
  dataDir: string;
  clientId: string;
  /** Secret references (`env:NAME` or `file:/path`), resolved at every publish. */
  clientSecret: string;
  refreshToken: string;
  /** Where `env:` references are looked up; config passes the process environment. */
  env?: SecretEnv;
  /** API root (default `https://youtube.googleapis.com/`): tests point it at loopback. */
  rootUrl?: string;
  tokenUrl?: string;
  /** Bytes per PUT, a multiple of 256 KiB as the protocol requires (default 8 MiB). */
  chunkBytes?: number;
  requestTimeoutMs?: number;
  /** Transient failures in a row before the job is handed back for a later redelivery. */
  maxAttempts?: number;
  backoffMs?: readonly number[];
  categoryId?: string;
  madeForKids?: boolean;
  now?: () => number;
}

/** What survives a crash: the session to resume, then the id that makes a retry a no-op. */
interface UploadRecord {
  key: string;
  sha256: string;
  size: number;
  status: 'SCHEDULED' | 'LIVE';
  session_uri?: string;
  yt_video_id?: string;
  thumbnail?: 'set' | 'failed';
}

const CHUNK_QUANTUM = 256 * 1024;
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const TOKEN_REFUSED = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/**
 * Publishes to YouTube with the official client's OAuth2 (a refresh token from a secret
 * reference; never logged or put in an error) and the resumable upload protocol. Idempotent
 * per publish key: a finished upload's `yt_video_id` is recorded and returned to any retry;
 * an unfinished one resumes from the bytes YouTube committed, even after a restart.
 */
export class YoutubeTarget implements PublishTarget {
  readonly name = 'youtube' as const;
  readonly #o: YoutubeTargetOptions;
  readonly #dir: string;
  readonly #root: string;
  readonly #chunk: number;
  #client?: { client: OAuth2Client; token: string; secret: string };

  constructor(o: YoutubeTargetOptions) {
    this.#o = o;
    this.#dir = join(o.dataDir, 'uploader', 'youtube');
    const root = o.rootUrl ?? 'https://youtube.googleapis.com/';
    this.#root = root.endsWith('/') ? root : `${root}/`;
    this.#chunk = o.chunkBytes ?? 32 * CHUNK_QUANTUM;
    if (this.#chunk <= 0 || this.#chunk % CHUNK_QUANTUM !== 0) {
      throw new UploaderError('bad_command', 'chunkBytes must be a multiple of 256 KiB', false);
    }
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const { key, job } = input;
    if (!SAFE_KEY.test(key)) throw new UploaderError('bad_command', 'unsafe publish key', false);
    const size = (await stat(input.clipPath)).size;
    if (size === 0) throw new UploaderError('bad_command', 'the clip is empty', false);
    const plan = videoPlan(job, (this.#o.now ?? Date.now)(), {
      categoryId: this.#o.categoryId ?? '22',
      madeForKids: this.#o.madeForKids ?? false,
    });

    let rec = await this.#read(key);
    if (!rec && job.yt_video_id) {
      // Zenith already knows the upload (another host's record was lost): never upload again.
      rec = {
        key,
        sha256: input.clipSha256,
        size,
        status: plan.status,
        yt_video_id: job.yt_video_id,
      };
      await this.#write(rec);
    }
    if (rec && (rec.sha256 !== input.clipSha256 || rec.size !== size)) {
      if (rec.yt_video_id) {
        const msg = `clip ${key} is already on YouTube as ${rec.yt_video_id}, with other bytes`;
        throw new UploaderError('bad_command', msg, false);
      }
      rec = undefined; // an unfinished session for other bytes: abandon it
    }
    if (!rec?.yt_video_id) rec = await this.#upload(input, size, plan, rec);
    if (input.thumbnailPath && rec.thumbnail !== 'set') rec = await this.#thumbnail(input, rec);
    const id = rec.yt_video_id as string;
    return { platform_id: id, yt_video_id: id, status: rec.status, url: `https://youtu.be/${id}` };
  }

  async #upload(
    input: PublishInput,
    size: number,
    plan: VideoPlan,
    prior: UploadRecord | undefined,
  ): Promise<UploadRecord> {
    const { signal, progress } = input;
    const client = await this.#auth();
    const h: HttpContext = {
      auth: () => this.#headers(client.client),
      signal,
      timeoutMs: this.#o.requestTimeoutMs ?? 120_000,
    };
    const rec: UploadRecord = prior ?? {
      key: input.key,
      sha256: input.clipSha256,
      size,
      status: plan.status,
    };
    const maxAttempts = this.#o.maxAttempts ?? 5;
    const backoff = this.#o.backoffMs ?? [1_000, 2_000, 5_000, 10_000];
    // Unknown until the session is asked: a resumed record may hold any prefix already.
    let offset: number | undefined;
    // The most YouTube has confirmed: only real progress forgives earlier failures.
    let confirmed = -1;
    let sessions = 0;
    let failures = 0;
    let refreshed = false;
    const file = await open(input.clipPath, 'r');
    try {
      for (;;) {
        try {
          if (!rec.session_uri) {
            if (++sessions > 2) {
              throw new UploaderError('internal', 'youtube keeps expiring upload sessions', true);
            }
            rec.session_uri = await initiate(
              new URL('upload/youtube/v3/videos', this.#root).href,
              plan.resource,
              size,
              'video/mp4',
              h,
            );
            await this.#write(rec);
            offset = 0;
            confirmed = 0;
            progress(0.05, 'upload session opened');
          }
          const state: SessionState =
            offset === undefined
              ? await query(rec.session_uri, size, h)
              : await putChunk(
                  rec.session_uri,
                  file,
                  { start: offset, end: Math.min(offset + this.#chunk, size), size },
                  'video/mp4',
                  h,
                );
          if (state.kind === 'done') {
            const done = await this.#finish(rec, state.resource.id);
            progress(0.9, `uploaded ${size} bytes as ${done.yt_video_id}`);
            return done;
          }
          if (state.kind === 'gone') {
            delete rec.session_uri;
            continue;
          }
          if (state.offset > confirmed) {
            confirmed = state.offset;
            failures = 0;
          }
          offset = state.offset;
          progress(0.05 + 0.8 * (offset / size), `uploaded ${offset} of ${size} bytes`);
        } catch (error) {
          if (signal.aborted) throw interrupted();
          if (error instanceof PlatformError && error.status === 401 && !refreshed) {
            // A revoked or early-expired access token: one fresh token, then ask the session.
            refreshed = true;
            client.client.setCredentials({ refresh_token: client.token });
            offset = undefined;
            continue;
          }
          if (!UploaderError.is(error) || !error.retryable || ++failures >= maxAttempts)
            throw error;
          const wait = backoff[Math.min(failures - 1, backoff.length - 1)] ?? 0;
          await sleep(wait, undefined, { signal }).catch(() => {
            throw interrupted();
          });
          offset = undefined;
        }
      }
    } finally {
      await file.close();
    }
  }

  async #finish(rec: UploadRecord, id: unknown): Promise<UploadRecord> {
    if (typeof id !== 'string' || !VIDEO_ID.test(id)) {
      throw new UploaderError('internal', 'youtube finished the upload without a video id', false);
    }
    const done: UploadRecord = { ...rec, yt_video_id: id };
    delete done.session_uri;
    await this.#write(done);
    return done;
  }

  /** Best effort: the video is up either way; a later retry of the order tries again. */
  async #thumbnail(input: PublishInput, rec: UploadRecord): Promise<UploadRecord> {
    const path = input.thumbnailPath as string;
    const { mime } = await sniffImage(path);
    let outcome: 'set' | 'failed' = 'set';
    try {
      const yt = youtube({ version: 'v3', auth: (await this.#auth()).client });
      await yt.thumbnails.set(
        {
          videoId: rec.yt_video_id as string,
          media: { mimeType: mime, body: createReadStream(path) },
        },
        {
          rootUrl: this.#root,
          signal: input.signal,
          timeout: this.#o.requestTimeoutMs ?? 120_000,
          retry: false,
        },
      );
    } catch (error) {
      if (input.signal.aborted) throw interrupted();
      outcome = 'failed';
      const status = (error as { response?: { status?: unknown } })?.response?.status;
      input.progress(
        0.95,
        `thumbnail not set (${typeof status === 'number' ? status : 'no answer'})`,
      );
    }
    const next = { ...rec, thumbnail: outcome };
    await this.#write(next);
    return next;
  }

  /** The OAuth client, rebuilt when a secret was rotated; the access token is cached in it. */
  async #auth(): Promise<{ client: OAuth2Client; token: string; secret: string }> {
    const env = this.#o.env ?? {};
    const token = await resolveSecret(this.#o.refreshToken, env);
    const secret = await resolveSecret(this.#o.clientSecret, env);
    if (this.#client?.token === token && this.#client.secret === secret) return this.#client;
    const client = new OAuth2Client({
      clientId: this.#o.clientId,
      clientSecret: secret,
      ...(this.#o.tokenUrl ? { endpoints: { oauth2TokenUrl: this.#o.tokenUrl } } : {}),
    });
    client.setCredentials({ refresh_token: token });
    this.#client = { client, token, secret };
    return this.#client;
  }

  async #headers(client: OAuth2Client): Promise<Record<string, string>> {
    let value: string | null;
    try {
      value = (await client.getRequestHeaders()).get('authorization');
    } catch (error) {
      const res = (error as { response?: { status?: number; data?: { error?: unknown } } })
        ?.response;
      const reason = typeof res?.data?.error === 'string' ? res.data.error : undefined;
      if (res?.status && (TOKEN_REFUSED.has(reason ?? '') || res.status === 401)) {
        const msg = `youtube token endpoint refused the refresh token (${reason ?? res.status})`;
        throw new UploaderError('auth_failed', msg, false);
      }
      const why = res?.status ? `answered ${res.status}` : 'unreachable';
      throw new UploaderError('network_timeout', `youtube token endpoint ${why}`, true);
    }
    if (!value) throw new UploaderError('auth_failed', 'no access token was issued', false);
    return { authorization: value };
  }

  #file(key: string): string {
    return join(this.#dir, `${key}.json`);
  }

  async #read(key: string): Promise<UploadRecord | undefined> {
    const rec = (await readJson(this.#file(key))) as UploadRecord | undefined;
    return rec && rec.key === key && typeof rec.sha256 === 'string' ? rec : undefined;
  }

  async #write(rec: UploadRecord): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#file(rec.key), `${JSON.stringify(rec, null, 2)}\n`, 0o600);
  }
}
