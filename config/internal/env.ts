import type { ConfigViolation } from '../errors.ts';
import { isSecretEnv } from '../secret-env.ts';
import {
  type ConfigKey,
  closest,
  configKeys,
  configSections,
  ENV_PREFIX,
  type SchemaNode,
} from './keys.ts';

/** Names the config file; read by the loader, not a config key. */
export const CONFIG_FILE_ENV = 'OMNIVA_CONFIG';
/** The conventional NATS variable, honoured for `nats.url` below `OMNIVA_NATS__URL`. */
export const NATS_URL_ENV = 'NATS_URL';
// Knobs of the test harness (scripts/run-tests.mjs) share the prefix but are not config.
const IGNORED_PREFIXES = ['OMNIVA_TEST_'];

/** One value taken from the environment, kept with its origin for error messages. */
export interface EnvValue {
  key: ConfigKey;
  variable: string;
  raw: string;
  value: unknown;
}

const byEnvName = new Map(configKeys.map((k) => [k.env, k]));
const knownNames = [...byEnvName.keys(), CONFIG_FILE_ENV];

function coerceScalar(raw: string, node: SchemaNode | undefined): unknown {
  if (node?.type === 'boolean') {
    const text = raw.trim().toLowerCase();
    return text === 'true' ? true : text === 'false' ? false : raw;
  }
  if (node?.type !== 'integer' && node?.type !== 'number') return raw;
  const text = raw.trim();
  // Anything not plainly numeric stays a string, so validation reports it with its source.
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : raw;
}

/** Environment strings become the type the schema expects; lists are comma separated. */
function coerce(raw: string, node: SchemaNode): unknown {
  if (node.type === 'array') {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => coerceScalar(s, node.items));
  }
  return coerceScalar(raw, node);
}

function unknownVariable(variable: string): ConfigViolation {
  const section = configSections.find((s) => s.env === variable);
  if (section) {
    return {
      source: variable,
      pointer: '',
      reason: `${section.name} is a section; set its keys as ${section.env}__<KEY>`,
    };
  }
  // The shared prefix would make every name look close to every other.
  const stem = closest(
    variable.slice(ENV_PREFIX.length),
    knownNames.map((n) => n.slice(ENV_PREFIX.length)),
  );
  const suggestion = stem && ENV_PREFIX + stem;
  const hint = suggestion
    ? `did you mean ${suggestion}?`
    : 'run `omniva config --help` for the list';
  return { source: variable, pointer: '', reason: `unknown configuration variable; ${hint}` };
}

/**
 * Reads every `OMNIVA_*` variable (and `NATS_URL`) into typed values, in increasing
 * precedence. Empty values count as unset, so `export OMNIVA_NATS__URL=` clears a setting.
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>): {
  values: EnvValue[];
  violations: ConfigViolation[];
} {
  const values: EnvValue[] = [];
  const violations: ConfigViolation[] = [];
  const natsUrl = env[NATS_URL_ENV];
  const urlKey = byEnvName.get('OMNIVA_NATS__URL');
  if (natsUrl && urlKey) {
    values.push({ key: urlKey, variable: NATS_URL_ENV, raw: natsUrl, value: natsUrl });
  }
  for (const [variable, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!variable.startsWith(ENV_PREFIX) || variable === CONFIG_FILE_ENV) continue;
    if (IGNORED_PREFIXES.some((p) => variable.startsWith(p)) || isSecretEnv(variable)) continue;
    const key = byEnvName.get(variable);
    if (!key) {
      violations.push(unknownVariable(variable));
      continue;
    }
    if (raw === undefined || raw === '') continue;
    values.push({ key, variable, raw, value: coerce(raw, key.node) });
  }
  return { values, violations };
}
