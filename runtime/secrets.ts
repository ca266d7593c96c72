import { readFile } from 'node:fs/promises';
import { OmnivaError } from '../protocols/index.ts';

/**
 * A reference to a secret, never the secret itself: `env:NAME` or `file:/absolute/path`.
 * Config and messages hold only the reference, so a dumped config or a log line carrying it
 * reveals nothing.
 */
export type SecretRef = `env:${string}` | `file:${string}`;

/** Environment variables, passed in: only config/ reads process.env (design §10). */
export type SecretEnv = Readonly<Record<string, string | undefined>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isSecretRef(value: string): value is SecretRef {
  if (value.startsWith('env:')) return ENV_NAME.test(value.slice(4));
  return value.startsWith('file:/') && value.length > 6;
}

/**
 * Resolves a reference at use time, so a rotated token is picked up without a restart.
 * Failures (OMNIVA_ERR_SECRET_MISSING) name the reference, never a value.
 */
export async function resolveSecret(ref: string, env: SecretEnv): Promise<string> {
  if (!isSecretRef(ref)) throw missing(ref, 'a secret reference must be env:NAME or file:/path');
  let value: string | undefined;
  if (ref.startsWith('env:')) {
    value = env[ref.slice(4)];
  } else {
    try {
      value = await readFile(ref.slice(5), 'utf8');
    } catch (error) {
      throw missing(ref, `unreadable (${(error as NodeJS.ErrnoException).code ?? 'unknown'})`);
    }
  }
  const trimmed = value?.trim();
  if (!trimmed) throw missing(ref, 'empty or unset');
  return trimmed;
}

function missing(ref: string, problem: string): OmnivaError {
  return new OmnivaError('OMNIVA_ERR_SECRET_MISSING', `secret ${ref}: ${problem}`, { ref });
}
