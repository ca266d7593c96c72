// Regular-expression sources shared by the JSON Schemas and the subject builders, so a value
// that passes a schema is always safe to place in a NATS subject.

/** A site id: lowercase, starts with a letter or digit, at most 63 characters (a DNS label). */
export const SITE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

/** Any other subject token: no `.`, `*`, `>` or whitespace, which NATS gives meaning to. */
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]+$';

/** `MAJOR.MINOR.PATCH`, as the spec writes `schema_version`. */
export const SEMVER_PATTERN = '^\\d+\\.\\d+\\.\\d+$';

/** `media://<site>/sha256/<hex>`, the only way a message names media bytes (design §8). */
export const MEDIA_URI_PATTERN = '^media://[a-z0-9][a-z0-9-]{0,62}/sha256/[0-9a-f]{64}$';
