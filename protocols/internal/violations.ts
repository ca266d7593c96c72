import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Violation } from '../validate.ts';

const FORMAT_REASONS: Readonly<Record<string, string>> = {
  uuid: 'must be a uuid',
  'uuid-v4': 'must be a version 4 uuid',
  'date-time': 'must be a UTC date-time like 2026-01-02T03:04:05Z',
  uri: 'must be an absolute URI (with a scheme, like https://)',
};

const COMPARISONS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/** RFC 6901: property names become pointer tokens with `~` and `/` escaped. */
function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function typeName(type: string): string {
  return type
    .split(',')
    .map((t) => (t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : `a ${t}`))
    .join(' or ');
}

function toViolation(e: ErrorObject): Violation {
  const p = e.params as Record<string, unknown>;
  const at = e.instancePath;
  switch (e.keyword) {
    case 'required':
      return {
        pointer: `${at}/${pointerToken(String(p.missingProperty))}`,
        reason: `missing required property "${p.missingProperty}"`,
      };
    case 'additionalProperties':
      return {
        pointer: `${at}/${pointerToken(String(p.additionalProperty))}`,
        reason: `unexpected property "${p.additionalProperty}"`,
      };
    case 'enum':
      return {
        pointer: at,
        reason: `must be one of: ${(p.allowedValues as unknown[]).map(show).join(', ')}`,
      };
    case 'const':
      return { pointer: at, reason: `must be ${show(p.allowedValue)}` };
    case 'type':
      return { pointer: at, reason: `must be ${typeName(String(p.type))}` };
    case 'format':
      return {
        pointer: at,
        reason: FORMAT_REASONS[String(p.format)] ?? `must be a valid ${p.format}`,
      };
    case 'pattern':
      return { pointer: at, reason: `must match the pattern ${p.pattern}` };
    case 'minLength':
      return { pointer: at, reason: `must be at least ${plural(Number(p.limit), 'character')}` };
    case 'maxLength':
      return { pointer: at, reason: `must be at most ${plural(Number(p.limit), 'character')}` };
    case 'minItems':
      return { pointer: at, reason: `must have at least ${plural(Number(p.limit), 'item')}` };
    case 'maxItems':
      return { pointer: at, reason: `must have at most ${plural(Number(p.limit), 'item')}` };
    case 'uniqueItems': {
      const [first, second] = [Number(p.i), Number(p.j)].sort((a, b) => a - b);
      return {
        pointer: at,
        reason: `must not repeat items (items ${first} and ${second} are equal)`,
      };
    }
    default:
      if (COMPARISONS.has(e.keyword)) {
        return { pointer: at, reason: `must be ${p.comparison} ${p.limit}` };
      }
      return { pointer: at, reason: e.message ?? `fails ${e.keyword}` };
  }
}

/**
 * An `if` error ("must match then schema") only restates that a `then`/`else` branch failed;
 * it is dropped whenever that branch's own errors are listed.
 */
function isBranchNoise(e: ErrorObject, all: readonly ErrorObject[]): boolean {
  if (e.keyword !== 'if') return false;
  const parent = e.schemaPath.slice(0, -'/if'.length);
  return all.some(
    (o) => o.schemaPath.startsWith(`${parent}/then/`) || o.schemaPath.startsWith(`${parent}/else/`),
  );
}

export function violationsFromAjv(errors: readonly ErrorObject[]): Violation[] {
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const e of errors) {
    if (isBranchNoise(e, errors)) continue;
    const v = toViolation(e);
    const key = `${v.pointer}\n${v.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}
