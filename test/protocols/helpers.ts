import * as assert from 'uvu/assert';
import { type ContractName, type Violation, validateContract } from '../../protocols/index.ts';

export function violationsOf(name: ContractName, doc: unknown): Violation[] {
  const result = validateContract(name, doc);
  if (result.ok) assert.unreachable(`expected ${name} to be rejected`);
  return result.ok ? [] : result.violations;
}

/** The document is rejected for exactly this one reason, with no follow-on noise. */
export function rejectsWith(
  name: ContractName,
  doc: unknown,
  pointer: string,
  reason: string,
): void {
  assert.equal(violationsOf(name, doc), [{ pointer, reason }]);
}

export function accepts(name: ContractName, doc: unknown): void {
  const result = validateContract(name, doc);
  assert.equal(result.ok ? [] : result.violations, [], `${name} should accept the document`);
}
