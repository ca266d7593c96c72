import { configSchema } from '../schema.ts';

/** The parts of a schema node the loader and the docs read. */
export interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  writeOnly?: boolean;
  properties?: Readonly<Record<string, SchemaNode>>;
  items?: SchemaNode;
}

/** A configurable value: a schema node that is not a section. */
export interface ConfigKey {
  path: readonly string[];
  /** `runtime.ack_wait_ms` */
  dotted: string;
  /** `OMNIVA_RUNTIME__ACK_WAIT_MS` */
  env: string;
  node: SchemaNode;
}

export const ENV_PREFIX = 'OMNIVA_';
// `__` separates sections because keys themselves contain `_`.
const ENV_SEPARATOR = '__';

export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.toUpperCase()).join(ENV_SEPARATOR);
}

function walk(node: SchemaNode, path: readonly string[], out: ConfigKey[]): void {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const childPath = [...path, name];
    // A map (an object without declared properties) is one key, set in the config file.
    if (child.type === 'object' && child.properties) {
      walk(child, childPath, out);
    } else {
      out.push({
        path: childPath,
        dotted: childPath.join('.'),
        env: envName(childPath),
        node: child,
      });
    }
  }
}

const root: SchemaNode = configSchema;

function collectKeys(): ConfigKey[] {
  const out: ConfigKey[] = [];
  walk(root, [], out);
  return out;
}

/** Every configurable key in schema order. */
export const configKeys: readonly ConfigKey[] = collectKeys();

/** Sections (`nats`, `log`, `runtime`) with their env prefix, for pointing users to keys. */
export const configSections: readonly { name: string; env: string }[] = Object.entries(
  root.properties ?? {},
)
  .filter(([, node]) => node.type === 'object')
  .map(([name]) => ({ name, env: envName([name]) }));

/** The schema node at a JSON pointer, or undefined past the schema's known keys. */
export function nodeAt(pointer: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const segment of pointer.split('/').slice(1)) {
    if (node === undefined) return undefined;
    if (node.type === 'array') {
      node = node.items;
      continue;
    }
    const props: Readonly<Record<string, SchemaNode>> = node.properties ?? {};
    node = Object.hasOwn(props, segment) ? props[segment] : undefined;
  }
  return node;
}

/** `/runtime/backoff_ms/1` → `runtime.backoff_ms[1]` */
export function dottedKey(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

/** Cheap Levenshtein distance; inputs are short key names. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The candidate closest to `name`, when it is close enough to be a plausible typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(name.toUpperCase(), c.toUpperCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Beyond about a third of the name the "suggestion" is noise rather than a typo fix.
  return bestDistance <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}
