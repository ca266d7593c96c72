import { OmnivaError } from '../../../protocols/index.ts';
import { resolveSecret as resolve, type SecretEnv } from '../../../runtime/secrets.ts';
import { UploaderError } from './errors.ts';

export { isSecretRef, type SecretEnv, type SecretRef } from '../../../runtime/secrets.ts';

/** A secret the uploader cannot resolve is `auth_failed`: no retry fixes it until an operator does. */
export async function resolveSecret(ref: string, env: SecretEnv): Promise<string> {
  try {
    return await resolve(ref, env);
  } catch (e) {
    if (OmnivaError.is(e)) throw new UploaderError('auth_failed', e.message, false);
    throw e;
  }
}
