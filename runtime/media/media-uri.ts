import { OmnivaError, SITE_ID_PATTERN } from '../../protocols/index.ts';

/**
 * `media://<site>/sha256/<hex>`: the only way messages refer to media bytes (design §8). The
 * site is part of the name because media is pinned to the site that stores it; a URI is
 * never resolved against another site's store.
 */
export interface MediaRef {
  readonly site: string;
  readonly sha256: string;
}

const SITE = new RegExp(SITE_ID_PATTERN);
const HEX = /^[0-9a-f]{64}$/;
const SCHEME = 'media://';

function uriError(uri: unknown, problem: string): OmnivaError {
  return new OmnivaError(
    'OMNIVA_ERR_MEDIA_URI',
    `invalid media URI ${JSON.stringify(uri)}: ${problem}`,
    {
      uri,
    },
  );
}

/** Parses a media URI; anything that is not exactly the canonical form is rejected. */
export function parseMediaUri(uri: string): MediaRef {
  if (typeof uri !== 'string') throw uriError(uri, 'it is not a string');
  if (!uri.startsWith(SCHEME)) throw uriError(uri, `it does not start with "${SCHEME}"`);
  const parts = uri.slice(SCHEME.length).split('/');
  if (parts.length !== 3) throw uriError(uri, 'expected media://<site>/sha256/<hex>');
  const [site, algo, hex] = parts as [string, string, string];
  if (!SITE.test(site)) throw uriError(uri, `"${site}" is not a valid site id`);
  if (algo !== 'sha256') throw uriError(uri, `unsupported digest "${algo}" (only sha256)`);
  // Lowercase only: two spellings of one digest would be two names for one blob.
  if (!HEX.test(hex)) throw uriError(uri, 'the digest must be 64 lowercase hex characters');
  return { site, sha256: hex };
}

export function formatMediaUri(ref: MediaRef): string {
  if (!SITE.test(ref.site)) throw uriError(ref.site, `"${ref.site}" is not a valid site id`);
  if (!HEX.test(ref.sha256))
    throw uriError(ref.sha256, 'the digest must be 64 lowercase hex characters');
  return `${SCHEME}${ref.site}/sha256/${ref.sha256}`;
}

export function isMediaUri(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    parseMediaUri(value);
    return true;
  } catch {
    return false;
  }
}
