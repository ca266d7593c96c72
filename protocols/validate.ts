import {
  CONTRACTS,
  type Contract,
  type ContractName,
  type ContractType,
  isContractName,
} from './contracts.ts';
import { OmnivaError } from './errors.ts';
import { validatorFor } from './internal/ajv.ts';
import { violationsFromAjv } from './internal/violations.ts';

/** One reason a document does not conform, located by a JSON pointer ('' is the root). */
export interface Violation {
  pointer: string;
  reason: string;
}

export type ContractResult<N extends ContractName> =
  | { ok: true; value: ContractType<N> }
  | { ok: false; violations: Violation[] };

/** `<pointer>: <reason>`, with the root shown as `/`. */
export function formatViolation(v: Violation): string {
  return `${v.pointer || '/'}: ${v.reason}`;
}

const SEMVER = /^(\d+)\.\d+\.\d+$/;

/**
 * Refuses a `schema_version` whose major this code does not accept (spec §2: modules must
 * reject unknown majors). Returns null when the version is accepted.
 */
export function checkSchemaVersion(name: ContractName, version: string): OmnivaError | null {
  const { acceptedMajors } = CONTRACTS[name];
  const accepted = acceptedMajors.map((m) => `${m}.x`).join(', ');
  const info = { contract: name, version, accepted_majors: acceptedMajors };
  const major = SEMVER.exec(version)?.[1];
  if (major === undefined) {
    return new OmnivaError(
      'OMNIVA_ERR_VERSION_UNSUPPORTED',
      `${name} schema_version "${version}" is not a version like 1.0.0; accepted majors: ${accepted}`,
      info,
    );
  }
  if (acceptedMajors.includes(Number(major))) return null;
  return new OmnivaError(
    'OMNIVA_ERR_VERSION_UNSUPPORTED',
    `${name} schema_version ${version} is not supported; accepted majors: ${accepted}`,
    info,
  );
}

// A contract that carries its own schema_version (ScraperJob does) is held to the same
// major-version rule as the envelope's.
function versionViolations(name: ContractName, value: object): Violation[] {
  const version = (value as { schema_version?: unknown }).schema_version;
  if (typeof version !== 'string') return [];
  const error = checkSchemaVersion(name, version);
  return error ? [{ pointer: '/schema_version', reason: error.message }] : [];
}

/**
 * Validates `doc` against the named contract: its JSON Schema first, then the rules the schema
 * cannot express. Never mutates `doc`; on success `value` is `doc` itself, typed.
 */
export function validateContract<N extends ContractName>(name: N, doc: unknown): ContractResult<N> {
  if (!isContractName(name)) {
    throw new OmnivaError('OMNIVA_ERR_UNKNOWN_TYPE', `unknown contract "${String(name)}"`);
  }
  const contract: Contract<N> = CONTRACTS[name];
  const validate = validatorFor(contract.schema.$id);
  if (!validate(doc)) return { ok: false, violations: violationsFromAjv(validate.errors ?? []) };
  const value = doc as ContractType<N>;
  const violations = [...versionViolations(name, value), ...(contract.rules?.(value) ?? [])];
  return violations.length > 0 ? { ok: false, violations } : { ok: true, value };
}
