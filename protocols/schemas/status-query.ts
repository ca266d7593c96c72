import type { FromSchema } from 'json-schema-to-ts';

export const statusQuerySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/StatusQuery.json',
  title: 'StatusQuery',
  description:
    'Request on the `status` rpc verb; without instance_key it asks the default instance.',
  type: 'object',
  properties: {
    instance_key: { type: 'string', minLength: 1 },
  },
  additionalProperties: false,
} as const;

export type StatusQuery = FromSchema<typeof statusQuerySchema>;
