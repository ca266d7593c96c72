import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { CONTRACTS } from '../contracts.ts';
import { isUtcDateTime, isUuidV4 } from '../formats.ts';
import { envelopeSchema } from '../schemas/envelope.ts';

let instance: Ajv2020 | undefined;

// Built on first use, so importing protocols costs nothing until something is validated;
// ajv then compiles each schema once, on its first lookup.
function ajv(): Ajv2020 {
  if (instance) return instance;
  const created = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(created);
  // Spec §2 wants timestamps in UTC with a `Z` suffix; RFC 3339 date-time also allows offsets.
  created.addFormat('date-time', { type: 'string', validate: isUtcDateTime });
  // `uuid` stays the RFC form of any version: Stardust packet ids in `_meta_parents` are
  // hash-derived. Ids this code mints itself (msg_id, trace_id) are checked as version 4.
  created.addFormat('uuid-v4', { type: 'string', validate: isUuidV4 });
  created.addSchema([...Object.values(CONTRACTS).map((c) => c.schema), envelopeSchema]);
  instance = created;
  return created;
}

export function validatorFor(schemaId: string): ValidateFunction {
  const validate = ajv().getSchema(schemaId);
  if (!validate) throw new Error(`schema ${schemaId} is not registered`);
  return validate;
}
