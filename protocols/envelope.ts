import { createHash, randomUUID } from 'node:crypto';
import { CONTRACTS, type ContractName, type ContractType, isContractName } from './contracts.ts';
import { OmnivaError } from './errors.ts';
import { validatorFor } from './internal/ajv.ts';
import { violationsFromAjv } from './internal/violations.ts';
import { type EnvelopeFields, envelopeSchema } from './schemas/envelope.ts';
import type { ZenithCommandMeta } from './schemas/zenith-command-meta.ts';
import {
  checkSchemaVersion,
  formatViolation,
  type Violation,
  validateContract,
} from './validate.ts';

/**
 * A validated envelope. For a union of names this is a union of envelopes, so checking `type`
 * narrows `payload`.
 */
export type Envelope<N extends ContractName = ContractName> = N extends ContractName
  ? Omit<EnvelopeFields, 'type' | 'payload'> & { type: N; payload: ContractType<N> }
  : never;

/**
 * With a literal contract name the payload is type-checked; code that only knows the name at
 * run time (the runtime publishing what a machine emitted) passes any object and relies on
 * {@link validateContract}.
 */
export type PayloadInput<N extends ContractName> = [ContractName] extends [N]
  ? Readonly<Record<string, unknown>>
  : ContractType<N>;

export interface EnvelopeInput<N extends ContractName> {
  type: N;
  site_id: string;
  payload: PayloadInput<N>;
  trace_id?: string;
  _meta_parents?: readonly string[];
  actor?: string;
  causation_id?: string;
  msg_id?: string;
  now?: Date;
  command?: ZenithCommandMeta;
}

/** Builds an envelope at the contract's current version; ids default to random UUIDv4s. */
export function makeEnvelope<N extends ContractName>(input: EnvelopeInput<N>): Envelope<N> {
  const { type, actor, causation_id, command } = input;
  return {
    msg_id: input.msg_id ?? randomUUID(),
    type,
    schema_version: CONTRACTS[type].version,
    site_id: input.site_id,
    trace_id: input.trace_id ?? randomUUID(),
    _meta_parents: [...(input._meta_parents ?? [])],
    emitted_at: (input.now ?? new Date()).toISOString(),
    ...(actor !== undefined && { actor }),
    ...(causation_id !== undefined && { causation_id }),
    ...(command !== undefined && { command }),
    payload: input.payload,
  } as Envelope<N>;
}

/**
 * A UUIDv4-shaped id derived from the message that caused an output and the output's index,
 * so re-publishing the same outputs after a crash reuses the same `Nats-Msg-Id` and JetStream
 * drops the duplicates.
 */
export function deriveMsgId(parentMsgId: string, index: number): string {
  const h = createHash('sha256').update(`${parentMsgId}:${index}`).digest('hex');
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export type MessageResult<N extends ContractName> =
  | { ok: true; envelope: Envelope<N> }
  | { ok: false; error: OmnivaError };

const LISTED_VIOLATIONS = 3;

function schemaInvalid(what: string, violations: Violation[]): { ok: false; error: OmnivaError } {
  const listed = violations.slice(0, LISTED_VIOLATIONS).map(formatViolation).join('; ');
  const more = violations.length - LISTED_VIOLATIONS;
  const message = `invalid ${what}: ${listed}${more > 0 ? ` (and ${more} more)` : ''}`;
  return {
    ok: false,
    error: new OmnivaError('OMNIVA_ERR_SCHEMA_INVALID', message, { violations }),
  };
}

/**
 * Checks a decoded message in the order a receiver needs: envelope shape, known (and, when
 * `accepted` is given, accepted) type, schema_version major, then the payload against its
 * contract. Payload violation pointers are relative to the envelope (`/payload/...`).
 */
export function validateMessage<N extends ContractName = ContractName>(
  doc: unknown,
  accepted?: readonly N[],
): MessageResult<N> {
  const validate = validatorFor(envelopeSchema.$id);
  if (!validate(doc)) {
    return schemaInvalid('message envelope', violationsFromAjv(validate.errors ?? []));
  }
  const envelope = doc as EnvelopeFields;
  const { type } = envelope;
  if (!isContractName(type)) {
    const error = new OmnivaError('OMNIVA_ERR_UNKNOWN_TYPE', `unknown message type "${type}"`, {
      type,
    });
    return { ok: false, error };
  }
  if (accepted && !(accepted as readonly ContractName[]).includes(type)) {
    const error = new OmnivaError(
      'OMNIVA_ERR_UNKNOWN_TYPE',
      `message type ${type} is not accepted here; accepted: ${accepted.join(', ')}`,
      { type, accepted },
    );
    return { ok: false, error };
  }
  const versionError = checkSchemaVersion(type, envelope.schema_version);
  if (versionError) return { ok: false, error: versionError };
  const payload = validateContract(type, envelope.payload);
  if (!payload.ok) {
    const violations = payload.violations.map((v) => ({ ...v, pointer: `/payload${v.pointer}` }));
    return schemaInvalid(`${type} message`, violations);
  }
  return { ok: true, envelope: envelope as Envelope<N> };
}
