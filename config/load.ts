import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfig } from './defaults.ts';
import { ConfigError, type ConfigViolation } from './errors.ts';
import { CONFIG_FILE_ENV, readEnv } from './internal/env.ts';
import { closest, dottedKey, nodeAt } from './internal/keys.ts';
import { validateConfig } from './internal/validate.ts';
import type { OmnivaConfig } from './schema.ts';

/** Looked for in the working directory when no file is named. */
export const DEFAULT_CONFIG_FILE = 'omniva.config.json';

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object
      ? DeepPartial<T[K]>
      : T[K];
};

/** Programmatic settings (CLI flags); `undefined` leaves a key to the layers below. */
export type ConfigOverrides = DeepPartial<OmnivaConfig>;

export interface LoadConfigOptions {
  /** JSON config file; a named file that is missing is an error. */
  file?: string;
  /** Defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths; defaults to `process.cwd()`. */
  cwd?: string;
  overrides?: ConfigOverrides;
}

/** Where a value came from; `raw` is the text of an environment variable. */
interface Origin {
  source: string;
  raw?: string;
}

type Tree = Record<string, unknown>;

const DEFAULT_ORIGIN: Origin = { source: 'default' };
const MAX_SHOWN = 80;

function isTree(value: unknown): value is Tree {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function pointerOf(path: readonly string[]): string {
  return path.map((s) => `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

// Own-property reads and defineProperty writes keep a `__proto__` key from a JSON file an
// ordinary key, which the schema then rejects as unknown, instead of reaching a prototype.
function getOwn(target: Tree, key: string): unknown {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

function setOwn(target: Tree, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Deep-merges one layer into `target`, recording which layer set each key. */
function applyLayer(
  target: Tree,
  layer: Tree,
  origin: Origin,
  origins: Map<string, Origin>,
  path: readonly string[] = [],
): void {
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const childPath = [...path, key];
    origins.set(pointerOf(childPath), origin);
    if (isTree(value)) {
      const current = getOwn(target, key);
      const next = isTree(current) ? current : {};
      setOwn(target, key, next);
      applyLayer(next, value, origin, origins, childPath);
    } else {
      // Arrays are copied so freezing the result never freezes a caller's array.
      setOwn(target, key, Array.isArray(value) ? [...value] : value);
    }
  }
}

function setPath(target: Tree, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = getOwn(node, key);
    if (isTree(next)) {
      node = next;
    } else {
      const created: Tree = {};
      setOwn(node, key, created);
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) setOwn(node, last, value);
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = getOwn(node as Tree, segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return node;
}

/** The layer that set `pointer`, or the nearest enclosing key set by one. */
function originOf(origins: ReadonlyMap<string, Origin>, pointer: string): Origin {
  for (let p = pointer; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
    const found = origins.get(p);
    if (found) return found;
  }
  return DEFAULT_ORIGIN;
}

function isSecret(pointer: string): boolean {
  return nodeAt(pointer)?.writeOnly === true;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

function fileProblem(file: string, reason: string): ConfigViolation {
  return { source: file, pointer: '', reason };
}

/** Reads the config file layer; `named` says whether its absence is an error. */
function readFileLayer(
  file: string,
  named: string | undefined,
): { layer?: Tree; violation?: ConfigViolation } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { violation: fileProblem(file, `config file not found (named by ${named})`) };
    }
    return { violation: fileProblem(file, `cannot read config file (${code ?? String(err)})`) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { violation: fileProblem(file, `invalid JSON: ${(err as Error).message}`) };
  }
  if (!isTree(parsed)) {
    return { violation: fileProblem(file, 'must contain a JSON object') };
  }
  return { layer: parsed };
}

function locateFile(
  opts: LoadConfigOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): { file?: string; named?: string } {
  if (opts.file) return { file: resolve(cwd, opts.file), named: 'the file option' };
  const fromEnv = env[CONFIG_FILE_ENV];
  if (fromEnv) return { file: resolve(cwd, fromEnv), named: CONFIG_FILE_ENV };
  const implicit = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(implicit) ? { file: implicit } : {};
}

/** A violation and its message line, which also shows the offending value. */
interface Problem {
  violation: ConfigViolation;
  line: string;
}

function plainProblem(violation: ConfigViolation): Problem {
  return { violation, line: `${violation.source}: ${violation.reason}` };
}

function schemaProblems(merged: Tree, origins: ReadonlyMap<string, Origin>): Problem[] {
  const problems: Problem[] = [];
  for (const error of validateConfig.errors ?? []) {
    let pointer = error.instancePath;
    let reason = error.message ?? `fails ${error.keyword}`;
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty);
      const siblings = Object.keys(nodeAt(pointer)?.properties ?? {});
      const suggestion = closest(key, siblings);
      pointer += pointerOf([key]);
      reason = suggestion ? `unknown key; did you mean ${suggestion}?` : 'unknown key';
    } else if (error.keyword === 'enum') {
      reason = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    }
    const origin = originOf(origins, pointer);
    const secret = isSecret(pointer);
    // An environment variable is shown as typed; a file or override value as JSON.
    let got = '';
    let from = origin.source;
    if (origin.raw !== undefined) {
      from = `${origin.source}=${secret ? '[redacted]' : origin.raw}`;
    } else if (error.keyword !== 'additionalProperties') {
      got = `, got ${secret ? '[redacted]' : show(valueAt(merged, pointer))}`;
    }
    const line = `${dottedKey(pointer)}: ${reason}${got} (from ${from})`;
    if (problems.some((p) => p.line === line)) continue;
    problems.push({ violation: { source: origin.source, pointer, reason }, line });
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The environment that secret references (`env:NAME`) and tool lookups (PATH) read. */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}

/**
 * Builds the configuration once: schema defaults ← JSON file ← environment ← overrides,
 * validated and deep-frozen. Throws one `ConfigError` listing every problem with the layer
 * that caused it. The only reader of `process.env` in the code base.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Readonly<OmnivaConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: Problem[] = [];
  const merged: Tree = defaultConfig();
  const origins = new Map<string, Origin>();

  const { file, named } = locateFile(opts, env, cwd);
  if (file) {
    const { layer, violation } = readFileLayer(file, named);
    if (violation) problems.push(plainProblem(violation));
    if (layer) applyLayer(merged, layer, { source: file }, origins);
  }

  const fromEnv = readEnv(env);
  for (const { key, variable, raw, value } of fromEnv.values) {
    setPath(merged, key.path, value);
    origins.set(pointerOf(key.path), { source: variable, raw });
  }
  // A secret reference (`env:OMNIVA_GRANT_SEED`) may name a variable with the prefix: that
  // one is a secret for a setting, not an unknown setting.
  const referenced = secretVariables(merged);
  problems.push(...fromEnv.violations.filter((v) => !referenced.has(v.source)).map(plainProblem));

  if (opts.overrides) applyLayer(merged, opts.overrides, { source: 'override' }, origins);

  const valid = validateConfig(merged);
  if (!valid) problems.push(...schemaProblems(merged, origins));
  if (!valid || problems.length > 0) {
    throw new ConfigError(
      problems.map((p) => p.violation),
      problems.map((p) => p.line),
    );
  }

  merged.data_dir = resolve(cwd, merged.data_dir);
  return deepFreeze(merged);
}

/** Every variable an `env:NAME` secret reference in the tree names. */
function secretVariables(tree: unknown, out = new Set<string>()): Set<string> {
  if (typeof tree === 'string') {
    const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(tree);
    if (m) out.add(m[1] as string);
  } else if (tree && typeof tree === 'object') {
    for (const v of Object.values(tree)) secretVariables(v, out);
  }
  return out;
}
