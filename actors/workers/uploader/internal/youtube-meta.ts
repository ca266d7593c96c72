import type { UploadJob } from '../../../../protocols/index.ts';

/**
 * The `videos.insert` resource for an UploadJob. YouTube is stricter than the spec's contract
 * (a title of at most 100 characters where UploadJob allows 120, no `<` or `>` in title or
 * description, at most 500 characters of tags): the text is trimmed deterministically here
 * rather than refused by the platform after a full upload.
 */

export const TITLE_MAX_CHARS = 100;
export const DESCRIPTION_MAX_BYTES = 5000;
export const TAGS_MAX_CHARS = 500;

export interface VideoPlan {
  resource: {
    snippet: { title: string; description: string; tags: string[]; categoryId: string };
    status: {
      privacyStatus: UploadJob['privacy_status'];
      publishAt?: string;
      selfDeclaredMadeForKids: boolean;
    };
  };
  /** SCHEDULED when YouTube will publish it later (private with a future publishAt). */
  status: 'SCHEDULED' | 'LIVE';
}

const ANGLE = /[<>]/g;

function chars(text: string, max: number): string {
  return Array.from(text.replace(ANGLE, '')).slice(0, max).join('').trim();
}

function bytes(text: string, max: number): string {
  let out = '';
  let size = 0;
  for (const ch of text.replace(ANGLE, '')) {
    size += Buffer.byteLength(ch);
    if (size > max) break;
    out += ch;
  }
  return out;
}

/** YouTube counts a tag containing a space with its quotes, and a comma between tags. */
function tags(keywords: readonly string[]): string[] {
  const out: string[] = [];
  let used = 0;
  for (const raw of keywords) {
    const tag = chars(raw, TAGS_MAX_CHARS);
    if (!tag || out.includes(tag)) continue;
    const cost = tag.length + (tag.includes(' ') ? 2 : 0) + (out.length > 0 ? 1 : 0);
    if (used + cost > TAGS_MAX_CHARS) break;
    out.push(tag);
    used += cost;
  }
  return out;
}

export function videoPlan(
  job: UploadJob,
  now: number,
  o: { categoryId: string; madeForKids: boolean },
): VideoPlan {
  const at = Date.parse(job.scheduled_time);
  // YouTube schedules only private videos: publishAt turns them public at that time.
  const scheduled = job.privacy_status === 'private' && at > now;
  return {
    resource: {
      snippet: {
        title: chars(job.title, TITLE_MAX_CHARS) || 'Untitled',
        description: bytes(job.description, DESCRIPTION_MAX_BYTES),
        tags: tags(job.keywords),
        categoryId: o.categoryId,
      },
      status: {
        privacyStatus: job.privacy_status,
        ...(scheduled ? { publishAt: new Date(at).toISOString() } : {}),
        selfDeclaredMadeForKids: o.madeForKids,
      },
    },
    status: scheduled ? 'SCHEDULED' : 'LIVE',
  };
}
