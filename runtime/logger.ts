import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level: string;
  name?: string;
  host_id?: string;
  site_id?: string;
  /** A stream (tests, transports) or a file descriptor; defaults to stdout. */
  destination?: pino.DestinationStream | number;
}

/** Fields that tie a log line to one message in flight. */
export interface MessageFields {
  site_id: string;
  actor: string;
  trace_id: string;
  msg_id?: string;
  stardust_id?: string;
}

const CENSOR = '[redacted]';

// Compared after lowercasing and dropping `_`/`-`, so apiKey, api-key and API_KEY all match.
// `seed` is the private half of an nkey; `creds` a whole NATS credentials file.
const SECRET_KEYS = [
  'password',
  'passwd',
  'pass',
  'token',
  'access_token',
  'refresh_token',
  'secret',
  'client_secret',
  'authorization',
  'creds',
  'credentials',
  'api_key',
  'private_key',
  'seed',
];

const normaliseKey = (key: string) => key.toLowerCase().replace(/[-_]/g, '');
const secretKeys = new Set(SECRET_KEYS.map(normaliseKey));

// Deeper structures are passed through untouched: log fields are meant to be flat, and the
// bound keeps a pathological object from making every log call expensive.
const MAX_DEPTH = 8;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Copy-on-write: returns `value` itself when it holds nothing to hide. */
function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || seen.has(value)) {
    return value;
  }
  if (Array.isArray(value)) {
    seen.add(value);
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = scrub(item, depth + 1, seen);
      if (next !== item) {
        copy ??= [...value];
        copy[i] = next;
      }
    });
    return copy ?? value;
  }
  // Errors and class instances keep their identity for pino's serializers.
  if (!isPlainObject(value)) return value;
  seen.add(value);
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next =
      item !== undefined && secretKeys.has(normaliseKey(key))
        ? CENSOR
        : scrub(item, depth + 1, seen);
    if (next !== item) {
      copy ??= { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

// pino's own redaction is path based (top level and one level down) but, unlike the log
// formatter, it also covers child-logger bindings.
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`]);

// scheme://user:password@ or scheme://token@ (NATS token auth puts the token there).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'/@:]*)(:[^\s"'/@]*)?@/gi;

/** Runs on the finished line, so URLs in messages, errors and bindings are covered too. */
function stripUrlCredentials(line: string): string {
  if (!line.includes('://')) return line;
  return line.replace(URL_USERINFO, (_match, scheme: string, user: string, pass?: string) =>
    pass === undefined ? `${scheme}${CENSOR}@` : `${scheme}${user}:${CENSOR}@`,
  );
}

/**
 * The process's root logger: JSON lines stamped with host and site, secrets censored
 * at the logger so no call site has to remember to. Everything else logs through children.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const base: Record<string, unknown> = { pid: process.pid };
  if (opts.host_id !== undefined) base.host_id = opts.host_id;
  if (opts.site_id !== undefined) base.site_id = opts.site_id;
  const destination =
    typeof opts.destination === 'object'
      ? opts.destination
      : // Synchronous so lines written just before a crash or process.exit are not lost.
        pino.destination({ dest: opts.destination ?? 1, sync: true });
  return pino(
    {
      level: opts.level,
      ...(opts.name !== undefined && { name: opts.name }),
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrub(obj, 0, new WeakSet()) as Record<string, unknown>,
      },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      hooks: { streamWrite: stripUrlCredentials },
    },
    destination,
  );
}

/**
 * The logger for handling one message: every line carries site, actor and trace so a trace
 * can be followed across hosts with a single filter.
 */
export function messageLogger(parent: Logger, fields: MessageFields): Logger {
  const bindings: Record<string, string> = {};
  // A root created for the same site already stamps site_id; repeating it would put the key
  // twice on each line.
  if (parent.bindings().site_id !== fields.site_id) bindings.site_id = fields.site_id;
  bindings.actor = fields.actor;
  bindings.trace_id = fields.trace_id;
  if (fields.msg_id !== undefined) bindings.msg_id = fields.msg_id;
  if (fields.stardust_id !== undefined) bindings.stardust_id = fields.stardust_id;
  return parent.child(bindings);
}
