import { hostname } from 'node:os';
import { validateConfig } from './internal/validate.ts';
import type { OmnivaConfig } from './schema.ts';

const FALLBACK_HOST_ID = 'host';

/**
 * Turns an OS hostname into a valid `host_id`: first DNS label, lowercase, anything outside
 * `[a-z0-9-]` replaced, cut to 63 characters. Hostnames are free-form on some systems, and
 * host ids end up in subjects and file names.
 */
export function sanitiseHostId(name: string): string {
  const label = name.split('.')[0] ?? '';
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return cleaned === '' ? FALLBACK_HOST_ID : cleaned;
}

/** The configuration when nothing is set: every schema default plus this machine's host id. */
export function defaultConfig(): OmnivaConfig {
  const config: Record<string, unknown> = { host_id: sanitiseHostId(hostname()) };
  if (!validateConfig(config)) {
    // Only reachable if the schema's own defaults contradict its constraints.
    throw new Error(`config schema defaults are invalid: ${JSON.stringify(validateConfig.errors)}`);
  }
  return config;
}
