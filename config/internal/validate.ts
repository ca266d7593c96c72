import { Ajv2020 } from 'ajv/dist/2020.js';
import { configSchema, type OmnivaConfig } from '../schema.ts';

// allErrors: a user fixes every problem in one pass instead of one per run.
// useDefaults: the schema is the only place defaults are written.
const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true });

/** Fills schema defaults into `data` in place and checks it; errors land on `.errors`. */
export const validateConfig = ajv.compile<OmnivaConfig>(configSchema);
