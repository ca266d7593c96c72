import { pathToFileURL } from 'node:url';
import type { OmnivaConfig } from '../../config/index.ts';
import type { ScraperJob } from '../../protocols/index.ts';
import type { SiteClient } from '../../runtime/index.ts';

/** A source as a `file:` or HTTP URL: plain paths are files or watched folders. */
export function sourceUrl(url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : pathToFileURL(url).href;
}

/**
 * Asks Zenith to scrape a source: a WorkRequest advice (only Zenith issues commands). The
 * scraper skips items it ingested before, so asking again is how a folder or feed is watched.
 */
export async function requestScrape(
  client: SiteClient,
  source: { url: string; platform?: ScraperJob['platform'] },
  now = new Date(),
): Promise<string> {
  const job_id = crypto.randomUUID();
  const at = now.toISOString();
  const job: ScraperJob = {
    job_id,
    creator_id: '00000000-0000-4000-8000-000000000000',
    platform: source.platform ?? 'other',
    target_url: sourceUrl(source.url),
    requested_range: {
      since: '1970-01-01T00:00:00Z',
      until: new Date(now.getTime() + 86_400_000).toISOString(),
    },
    status: 'PENDING',
    created_at: at,
    updated_at: at,
  };
  await client.advise('operator', 'work_request', 'WorkRequest', {
    request_id: crypto.randomUUID(),
    job_key: job_id,
    worker: 'scraper',
    contract: 'ScraperJob',
    payload: job,
    requested_by: 'operator',
  });
  return job_id;
}

/** Polls every configured source on its own period; returns a stop function. */
export function watchSources(
  client: SiteClient,
  sources: OmnivaConfig['sources'],
  onError: (e: unknown) => void,
): () => void {
  const timers = sources.map((s) => {
    const ask = () => requestScrape(client, s).catch(onError);
    ask();
    return setInterval(ask, s.poll_minutes * 60_000);
  });
  return () => {
    for (const t of timers) clearInterval(t);
  };
}
