import { readFileSync } from 'node:fs';
import { OmnivaError } from '../protocols/index.ts';

/**
 * A secret is configured by reference, never inline: `env:NAME` reads an environment
 * variable, `file:/path` a file (trailing newline trimmed). Resolved at the moment of use so
 * a rotated file is picked up, and only here, since only config/ reads the environment.
 */
export function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  const m = /^(env|file):(.+)$/.exec(ref);
  if (!m) throw secretError(ref, 'expected env:NAME or file:/path');
  const [, scheme, target] = m as unknown as [string, 'env' | 'file', string];
  if (scheme === 'env') {
    const value = env[target];
    if (!value) throw secretError(ref, `environment variable ${target} is not set`);
    return value;
  }
  try {
    const value = readFileSync(target, 'utf8').replace(/\r?\n$/, '');
    if (!value) throw secretError(ref, 'the file is empty');
    return value;
  } catch (e) {
    if (OmnivaError.is(e)) throw e;
    throw secretError(ref, `cannot read ${target}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** True for a well-formed reference (the config schema checks the shape; this checks the scheme). */
export function isSecretRef(value: unknown): value is string {
  return typeof value === 'string' && /^(env|file):.+$/.test(value);
}

function secretError(ref: string, problem: string): OmnivaError {
  // The reference names where the secret lives, not the secret, so it is safe to show.
  return new OmnivaError('OMNIVA_ERR_SECRET_MISSING', `secret ${ref}: ${problem}`, { ref });
}
