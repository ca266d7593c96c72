import { MEDIA_URI_PATTERN, TOKEN_PATTERN } from '../patterns.ts';

// Schema fragments the contracts share, so a uuid or a media URI is spelled one way.
export const $schema = 'https://json-schema.org/draft/2020-12/schema';
export const uuid = { type: 'string', format: 'uuid' } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;
export const mediaUri = { type: 'string', pattern: MEDIA_URI_PATTERN } as const;
/** A subject token (worker, instance, channel): safe to place in a NATS subject. */
export const token = { type: 'string', pattern: TOKEN_PATTERN, maxLength: 128 } as const;
