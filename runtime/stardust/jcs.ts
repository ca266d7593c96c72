// RFC 8785 JSON Canonicalization Scheme, for the values a packet can hold.
//
// Written here rather than taken from the `canonicalize` package (which the tests use as an
// oracle) because it sits on the append hot path: that package scans every string for lone
// surrogates character by character and tracks cycles in a Set, which cost more than the
// sha256 itself. Nesting is bounded instead of tracked: a packet is data, never a cycle.

const MAX_DEPTH = 64;

type WellFormed = { isWellFormed(): boolean };

// Anything JSON.stringify would escape, and any surrogate (paired or not).
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes exactly these characters
const NEEDS_CARE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function str(s: string): string {
  // Most strings here are ids and tokens: nothing to escape, no surrogates.
  if (!NEEDS_CARE.test(s)) return `"${s}"`;
  // Node 20's V8 has String.prototype.isWellFormed; the ES2023 lib typings do not list it.
  if (!(s as unknown as WellFormed).isWellFormed()) {
    throw new TypeError('a lone surrogate cannot be canonicalised (RFC 8785 §3.2.2.2)');
  }
  return JSON.stringify(s);
}

// undefined, functions and symbols: left out of objects and null in arrays, as JSON.stringify.
function skipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

function value(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      // ECMAScript Number serialisation is what RFC 8785 §3.2.2.3 prescribes; -0 becomes 0.
      if (!Number.isFinite(v)) throw new TypeError(`${v} has no JSON form`);
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (depth >= MAX_DEPTH) throw new TypeError(`nested deeper than ${MAX_DEPTH} levels`);
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = v[i];
          out += skipped(item) ? 'null' : value(item, depth + 1);
        }
        return `${out}]`;
      }
      const json = (v as { toJSON?: () => unknown }).toJSON;
      if (typeof json === 'function') return value(json.call(v), depth + 1);
      const obj = v as Record<string, unknown>;
      // Default sort compares UTF-16 code units, the order RFC 8785 §3.2.3 requires.
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const item = obj[k];
        if (skipped(item)) continue;
        if (!first) out += ',';
        first = false;
        out += `${str(k)}:${value(item, depth + 1)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`a ${typeof v} has no JSON form`);
  }
}

/** The RFC 8785 canonical JSON text of `v`; throws TypeError on values JSON cannot carry. */
export function canonicalJson(v: unknown): string {
  return value(v, 0);
}
