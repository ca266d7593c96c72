import type { FromSchema } from 'json-schema-to-ts';
import { TOKEN_PATTERN } from '../patterns.ts';

/**
 * The authority stamp Zenith puts on every command (design §5): the lease epoch receivers
 * fence on, the instance that issued it, the Stardust packets it was based on and the
 * rollback guidance Eclipse follows if the command turns out wrong.
 */
export const zenithCommandMetaSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/ZenithCommandMeta.json',
  title: 'ZenithCommandMeta',
  type: 'object',
  required: ['epoch', 'issued_by', 'evidence', 'rollback'],
  properties: {
    epoch: {
      type: 'integer',
      minimum: 1,
      description: 'Revision of the Zenith lease at acquisition; receivers refuse older epochs.',
    },
    issued_by: {
      type: 'string',
      pattern: TOKEN_PATTERN,
      maxLength: 128,
      description: 'The Zenith instance (lease holder) that issued the command.',
    },
    evidence: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      uniqueItems: true,
      items: { type: 'string', format: 'uuid' },
      description: 'Stardust packet ids the decision was based on.',
    },
    rollback: {
      type: 'object',
      required: ['action', 'notes'],
      properties: {
        action: { type: 'string', minLength: 1, maxLength: 128 },
        notes: { type: 'string', maxLength: 2000 },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

export type ZenithCommandMeta = FromSchema<typeof zenithCommandMetaSchema>;
