import { OmnivaError } from '../protocols/index.ts';

/** One problem found while loading configuration. */
export interface ConfigViolation {
  /** Where the bad value came from: a file path, an env var name, `override` or `default`. */
  source: string;
  /** JSON pointer into the configuration (`/runtime/max_deliver`); empty when no key applies. */
  pointer: string;
  /** What is wrong, in words; the error message adds the key, the value and the source. */
  reason: string;
}

/**
 * Thrown by `loadConfig` with every problem at once, so a user fixes a config in one pass.
 * Code `OMNIVA_ERR_CONFIG_INVALID`, never retryable: the inputs have to change.
 */
export class ConfigError extends OmnivaError {
  readonly violations: readonly ConfigViolation[];

  /** `lines` has one rendered line per violation, in the same order. */
  constructor(violations: readonly ConfigViolation[], lines: readonly string[]) {
    super(
      'OMNIVA_ERR_CONFIG_INVALID',
      `invalid configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
      { violations },
    );
    this.violations = violations;
  }
}
