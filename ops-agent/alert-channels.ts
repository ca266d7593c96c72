import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Alert, OmnivaError } from '../protocols/index.ts';

/**
 * Where alerts go. Each channel delivers one alert or rejects with the reason; none of them
 * touches NATS, so an alert that reached the router leaves the host even when the pipeline
 * (streams, consumers, actors) is stuck.
 */
export interface AlertChannel {
  /** Names the channel in logs and counters; unique within one router. */
  readonly name: string;
  deliver(alert: Alert): Promise<void>;
}

export interface WebhookChannelOptions {
  url: string;
  /** Per attempt, in ms (default 5000). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** Wait before the first retry, doubled for each next one (default 500 ms). */
  backoffMs?: number;
  /** Extra request headers, e.g. an authorization the receiver wants. */
  headers?: Readonly<Record<string, string>>;
  name?: string;
}

export const DEFAULT_WEBHOOK = Object.freeze({ timeoutMs: 5_000, retries: 3, backoffMs: 500 });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * POSTs the alert as JSON. A 2xx is delivered; a network error, a timeout, a 5xx or a 429 is
 * tried again after a backoff; any other answer (a 4xx: the receiver refuses this alert) is
 * final. Rejects with OMNIVA_ERR_EFFECT_FAILED once every attempt failed.
 */
export function webhookChannel(o: WebhookChannelOptions): AlertChannel {
  const timeoutMs = o.timeoutMs ?? DEFAULT_WEBHOOK.timeoutMs;
  const attempts = 1 + Math.max(0, o.retries ?? DEFAULT_WEBHOOK.retries);
  const backoffMs = o.backoffMs ?? DEFAULT_WEBHOOK.backoffMs;
  // The URL may carry a token in its query; only its origin and path are ever reported.
  const where = (() => {
    try {
      const u = new URL(o.url);
      return `${u.origin}${u.pathname}`;
    } catch {
      return 'an invalid URL';
    }
  })();
  return {
    name: o.name ?? 'webhook',
    async deliver(alert) {
      const body = JSON.stringify(alert);
      let last = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
        try {
          const res = await fetch(o.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...o.headers },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return;
          last = `HTTP ${res.status}`;
          if (res.status < 500 && res.status !== 429) break;
        } catch (e) {
          const err = e as Error;
          last = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.message;
        }
      }
      throw new OmnivaError(
        'OMNIVA_ERR_EFFECT_FAILED',
        `webhook ${where} did not take alert ${alert.alert_id}: ${last}`,
        { url: where, alert_id: alert.alert_id },
      );
    },
  };
}

/** Appends one JSON line per alert to a file, creating its directories. */
export function fileChannel(o: { path: string; name?: string }): AlertChannel {
  let ready: Promise<unknown> | undefined;
  return {
    name: o.name ?? 'file',
    async deliver(alert) {
      ready ??= mkdir(dirname(o.path), { recursive: true });
      try {
        await ready;
      } catch (e) {
        ready = undefined; // the next alert tries again
        throw e;
      }
      await appendFile(o.path, `${JSON.stringify(alert)}\n`, { mode: 0o640 });
    },
  };
}

/** One readable line per alert, to stderr unless told otherwise (journald picks it up). */
export function consoleChannel(
  o: { stream?: NodeJS.WritableStream; name?: string } = {},
): AlertChannel {
  const stream = o.stream ?? process.stderr;
  return {
    name: o.name ?? 'console',
    deliver(alert) {
      return new Promise((resolve, reject) => {
        stream.write(`${formatAlert(alert)}\n`, (err) => (err ? reject(err) : resolve()));
      });
    },
  };
}

/** `2026-02-01T08:01:20Z CRITICAL host_down site=site-a host=host-a: <message>` */
export function formatAlert(a: Alert): string {
  const where = [
    `site=${a.site_id}`,
    ...(a.host_id ? [`host=${a.host_id}`] : []),
    ...(a.run_id ? [`run=${a.run_id}`] : []),
    ...(a.stage ? [`stage=${a.stage}`] : []),
  ].join(' ');
  return `${a.raised_at} ${a.severity.toUpperCase()} ${a.type} ${where}: ${a.message.replace(/\s+/g, ' ')}`;
}
