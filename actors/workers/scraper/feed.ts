import { XMLParser } from 'fast-xml-parser';
import { WorkerError } from '../internal/worker-error.ts';

/** One entry of a YouTube channel feed (Atom with the `yt:` and `media:` namespaces). */
export interface FeedEntry {
  /** `yt:video:<id>` on YouTube, the Atom `id` elsewhere: the item's identity. */
  id: string;
  title?: string;
  published_at?: string;
  /** The watch page (for yt-dlp). */
  link?: string;
  /** A directly downloadable media file, when the feed names one. */
  media_url?: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ['entry', 'link', 'media:content', 'item'].includes(name),
});

const text = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v === 'object' && v && '#text' in v
      ? String((v as { '#text': unknown })['#text'])
      : undefined;

type Attrs = Record<string, string | undefined>;

/**
 * Reads an Atom feed in YouTube's channel-feed format (also plain Atom and RSS 2.0 with
 * enclosures). A body that is not such a feed is `media_corrupt`: the source is not what its
 * URL promised.
 */
export function parseFeed(xml: string): FeedEntry[] {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (e) {
    throw new WorkerError('media_corrupt', `feed is not valid XML: ${(e as Error).message}`, {
      retryable: false,
    });
  }
  const feed = doc.feed as { entry?: Record<string, unknown>[] } | undefined;
  if (feed) return (feed.entry ?? []).map(atomEntry);
  const channel = (doc.rss as { channel?: { item?: Record<string, unknown>[] } } | undefined)
    ?.channel;
  if (channel) return (channel.item ?? []).map(rssItem);
  throw new WorkerError('media_corrupt', 'the document is neither an Atom nor an RSS feed', {
    retryable: false,
  });
}

function atomEntry(e: Record<string, unknown>): FeedEntry {
  const videoId = text(e['yt:videoId']);
  const links = (e.link as Attrs[] | undefined) ?? [];
  const alternate = links.find((l) => (l['@_rel'] ?? 'alternate') === 'alternate')?.['@_href'];
  const enclosure = links.find((l) => l['@_rel'] === 'enclosure' && isVideo(l['@_type']))?.[
    '@_href'
  ];
  const group = e['media:group'] as Record<string, unknown> | undefined;
  const content = ((group?.['media:content'] ?? e['media:content']) as Attrs[] | undefined)?.find(
    (c) => isVideo(c['@_type']),
  )?.['@_url'];
  const id = videoId ? `yt:video:${videoId}` : (text(e.id) ?? alternate ?? '');
  return clean({
    id,
    title: text(e.title) ?? text(group?.['media:title']),
    published_at: utc(text(e.published) ?? text(e.updated)),
    link: alternate,
    media_url: enclosure ?? content,
  });
}

function rssItem(i: Record<string, unknown>): FeedEntry {
  const enclosure = i.enclosure as Attrs | undefined;
  const link = text(i.link);
  const pub = text(i.pubDate);
  return clean({
    id: text(i.guid) ?? link ?? enclosure?.['@_url'] ?? '',
    title: text(i.title),
    published_at: utc(pub),
    link,
    media_url: isVideo(enclosure?.['@_type']) ? enclosure?.['@_url'] : undefined,
  });
}

/** Feeds write offsets (`+00:00`) or RFC 822 dates; messages carry UTC ISO 8601 only. */
function utc(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

const isVideo = (type: string | undefined) => !!type && /^video\//.test(type);

function clean(e: { [K in keyof FeedEntry]: FeedEntry[K] | undefined }): FeedEntry {
  return Object.fromEntries(
    Object.entries(e).filter(([, v]) => v !== undefined && v !== ''),
  ) as unknown as FeedEntry;
}
