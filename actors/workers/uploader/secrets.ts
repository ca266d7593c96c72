import { readFile } from 'node:fs/promises';
import { UploaderError } from './errors.ts';

/**
 * A reference to a secret, never the secret itself (spec §5.4: "signed tokens resolved from
 * secret manager at run time"): `env:NAME` or `file:/absolute/path`. Config holds only the
 * reference, so a dumped config or a log line carrying it reveals nothing.
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
 * Failures name the reference, never a value; a missing secret is `auth_failed`, which no
 * retry fixes until an operator provides it.
 */
export async function resolveSecret(ref: string, env: SecretEnv): Promise<string> {
  if (!isSecretRef(ref)) {
    throw new UploaderError(
      'auth_failed',
      'secret reference must be env:NAME or file:/path',
      false,
    );
  }
  let value: string | undefined;
  if (ref.startsWith('env:')) {
    value = env[ref.slice(4)];
  } else {
    try {
      value = await readFile(ref.slice(5), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw new UploaderError('auth_failed', `secret ${ref} unreadable (${code})`, false);
    }
  }
  const trimmed = value?.trim();
  if (!trimmed) throw new UploaderError('auth_failed', `secret ${ref} is empty or unset`, false);
  return trimmed;
}
