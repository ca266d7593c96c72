/**
 * The local target's gallery page and RSS 2.0 feed, rendered from the published clips'
 * metadata alone: the same clips always give the same bytes (no build timestamps), so a
 * repeated publish leaves both files untouched.
 */

export interface LocalItem {
  clip_id: string;
  title: string;
  description: string;
  keywords: readonly string[];
  scheduled_time: string;
  privacy_status: 'public' | 'unlisted' | 'private';
  clip: { file: string; sha256: string; size: number };
  thumbnail?: { file: string; sha256: string; size: number; mime: string };
}

export interface RenderOptions {
  title: string;
  description: string;
  /** Absolute URL of the publish folder, ending in `/`: feed readers need absolute links. */
  baseUrl: string;
}

// XML 1.0 forbids most control characters even escaped; a stray one would void the feed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Escapes text for HTML and XML, in content and in quoted attribute values alike. */
export function escapeMarkup(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Newest first; the clip id breaks ties so the order never depends on the file system. */
export function sortItems(items: readonly LocalItem[]): LocalItem[] {
  return [...items].sort(
    (a, b) =>
      Date.parse(b.scheduled_time) - Date.parse(a.scheduled_time) ||
      (a.clip_id < b.clip_id ? -1 : a.clip_id > b.clip_id ? 1 : 0),
  );
}

const href = (item: LocalItem, file: string) =>
  escapeMarkup(`${encodeURIComponent(item.clip_id)}/${encodeURIComponent(file)}`);

function article(item: LocalItem): string {
  const poster = item.thumbnail ? ` poster="${href(item, item.thumbnail.file)}"` : '';
  const tags = item.keywords.map((k) => `<li>${escapeMarkup(k)}</li>`).join('');
  const when = escapeMarkup(item.scheduled_time);
  return [
    `<article id="clip-${escapeMarkup(item.clip_id)}">`,
    `<h2>${escapeMarkup(item.title)}</h2>`,
    `<video controls preload="metadata" playsinline src="${href(item, item.clip.file)}"${poster}></video>`,
    `<p>${escapeMarkup(item.description)}</p>`,
    tags ? `<ul class="tags">${tags}</ul>` : '',
    `<p><time datetime="${when}">${when}</time> · <a href="${href(item, 'metadata.json')}">metadata</a></p>`,
    '</article>',
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderGallery(items: readonly LocalItem[], o: RenderOptions): string {
  const title = escapeMarkup(o.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'">
<title>${title}</title>
<link rel="alternate" type="application/rss+xml" title="${title}" href="feed.xml">
<style>body{font-family:sans-serif;max-width:48rem;margin:auto;padding:1rem}video{width:100%;max-height:80vh;background:#000}.tags{display:flex;gap:.5rem;list-style:none;padding:0}</style>
</head>
<body>
<h1>${title}</h1>
<p>${escapeMarkup(o.description)}</p>
${items.map(article).join('\n')}
</body>
</html>
`;
}

function feedItem(item: LocalItem, base: string): string {
  const link = new URL(`${encodeURIComponent(item.clip_id)}/`, base).href;
  const enclosure = new URL(encodeURIComponent(item.clip.file), link).href;
  return [
    '<item>',
    `<title>${escapeMarkup(item.title)}</title>`,
    `<link>${escapeMarkup(link)}</link>`,
    `<guid isPermaLink="false">${escapeMarkup(item.clip_id)}</guid>`,
    `<pubDate>${new Date(item.scheduled_time).toUTCString()}</pubDate>`,
    `<description>${escapeMarkup(item.description)}</description>`,
    ...item.keywords.map((k) => `<category>${escapeMarkup(k)}</category>`),
    `<enclosure url="${escapeMarkup(enclosure)}" length="${item.clip.size}" type="video/mp4"/>`,
    '</item>',
  ].join('\n');
}

export function renderFeed(items: readonly LocalItem[], o: RenderOptions): string {
  const newest = items[0];
  const built = newest
    ? `<lastBuildDate>${new Date(newest.scheduled_time).toUTCString()}</lastBuildDate>\n`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>${escapeMarkup(o.title)}</title>
<link>${escapeMarkup(o.baseUrl)}</link>
<description>${escapeMarkup(o.description)}</description>
${built}${items.map((i) => feedItem(i, o.baseUrl)).join('\n')}
</channel>
</rss>
`;
}
