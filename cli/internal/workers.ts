import { join } from 'node:path';
import { DEFAULT_ASR } from '../../actors/workers/analyzer/index.ts';
import { DEFAULT_CAPTION_STYLE } from '../../actors/workers/editor/index.ts';
import {
  analyzerKind,
  editorKind,
  LocalTarget,
  type PublishTarget,
  schedulerKind,
  scraperKind,
  uploaderKind,
  YoutubeTarget,
} from '../../actors/workers/index.ts';
import type { OmnivaConfig } from '../../config/index.ts';
import { type ActorKind, resolveSecret, type SecretEnv } from '../../runtime/index.ts';
import { type FfmpegTools, MediaStore } from '../../runtime/media/index.ts';

/** The worker kinds `workers.enabled` names, built from config; instance = host_id. */
export function workerKinds(
  config: Readonly<OmnivaConfig>,
  deps: { tools: FfmpegTools; env: SecretEnv; ytdlp: string | undefined },
): ActorKind[] {
  const w = config.workers;
  const store = new MediaStore({ dataDir: config.data_dir, siteId: config.site_id });
  // Placed on this host: Zenith addresses each instance (cmd.<worker>.<host_id>), so work goes
  // where its media is. The scheduler shares one queue per site.
  const common = {
    store,
    tools: deps.tools,
    dataDir: config.data_dir,
    instance: config.host_id,
    placed: true,
  };
  const build: Record<string, () => ActorKind> = {
    scraper: () =>
      scraperKind({
        ...common,
        sources: {
          http: {
            timeoutMs: w.scraper.timeout_ms,
            maxRetryAfterMs: w.scraper.max_retry_after_ms,
            headers: async (url) => {
              const out: Record<string, string> = {};
              for (const c of w.scraper.credentials) {
                if (c.host !== url.hostname) continue;
                const secret = await resolveSecret(c.secret, deps.env);
                out[c.header ?? 'authorization'] = c.scheme ? `${c.scheme} ${secret}` : secret;
              }
              return out;
            },
          },
          maxBytes: w.scraper.max_bytes,
          ytdlp: deps.ytdlp,
        },
      }),
    analyzer: () => {
      const a = w.analyzer;
      const asr =
        a.asr === 'pocketsphinx'
          ? { kind: 'pocketsphinx' as const, bin: a.pocketsphinx_bin }
          : a.asr === 'whisper'
            ? {
                kind: 'whisper' as const,
                bin: a.whisper_bin ?? 'whisper-cli',
                model: a.whisper_model ?? '',
              }
            : undefined;
      return analyzerKind({
        ...common,
        ...(asr ? { asr } : {}),
        asrOptions: { ...DEFAULT_ASR, chunk_s: a.chunk_s },
        candidates: { min_s: a.min_clip_s, max_s: a.max_clip_s, max_candidates: a.max_candidates },
      });
    },
    editor: () => {
      const e = w.editor;
      return editorKind({
        ...common,
        gpu: e.gpu,
        encode: { preset: e.preset, crf: e.crf, audio_bitrate: e.audio_bitrate },
        style: {
          ...DEFAULT_CAPTION_STYLE,
          font: e.caption_font,
          size: e.caption_size,
          primary: e.caption_color,
          highlight: e.caption_highlight,
          margin_v: e.caption_margin_v,
          max_words: e.caption_max_words,
        },
      });
    },
    uploader: () => {
      const u = w.uploader;
      const targets: Record<string, PublishTarget> = {
        local: new LocalTarget({
          dir: u.local_dir ?? join(config.data_dir, 'published'),
          ...(u.base_url ? { baseUrl: u.base_url } : {}),
        }),
      };
      if (u.youtube_client_id && u.youtube_client_secret && u.youtube_refresh_token) {
        targets.youtube = new YoutubeTarget({
          dataDir: config.data_dir,
          clientId: u.youtube_client_id,
          clientSecret: u.youtube_client_secret,
          refreshToken: u.youtube_refresh_token,
          env: deps.env,
        });
      }
      return uploaderKind({ ...common, targets, trustedKeys: u.trusted_keys });
    },
    scheduler: () =>
      schedulerKind({
        instance: config.host_id,
        rules: {
          min_spacing_minutes: w.scheduler.min_spacing_minutes,
          max_per_day: w.scheduler.max_per_day,
          windows: w.scheduler.windows,
          horizon_days: w.scheduler.horizon_days,
        },
      }),
  };
  return w.enabled.map((name) => (build[name] as () => ActorKind)());
}
