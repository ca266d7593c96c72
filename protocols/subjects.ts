import { OmnivaError } from './errors.ts';
import { SITE_ID_PATTERN, TOKEN_PATTERN } from './patterns.ts';

const ROOT = 'omniva';
const SITE_ID = new RegExp(SITE_ID_PATTERN);
const TOKEN = new RegExp(TOKEN_PATTERN);

function tokenError(role: string, value: unknown, problem: string): OmnivaError {
  return new OmnivaError(
    'OMNIVA_ERR_SUBJECT_TOKEN',
    `invalid ${role} subject token ${JSON.stringify(value)}: ${problem}`,
    { role, token: value },
  );
}

// The problems worth naming, because they change what a subject means to NATS.
function natsProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.includes('.')) return 'it contains ".", the NATS token separator';
  const wildcard = /[*>]/.exec(value)?.[0];
  if (wildcard) return `it contains the NATS wildcard "${wildcard}"`;
  if (/\s/.test(value)) return 'it contains whitespace';
  return undefined;
}

function site(value: string): string {
  if (typeof value === 'string' && SITE_ID.test(value)) return value;
  const problem = typeof value === 'string' ? natsProblem(value) : 'it is not a string';
  throw tokenError(
    'site',
    value,
    problem ??
      'a site id has lowercase letters, digits and "-", starts with a letter or digit, and is at most 63 characters long',
  );
}

function token(role: string, value: string): string {
  if (typeof value === 'string' && TOKEN.test(value)) return value;
  const problem = typeof value === 'string' ? natsProblem(value) : 'it is not a string';
  throw tokenError(role, value, problem ?? 'only letters, digits, "_" and "-" are allowed');
}

function subject(siteId: string, ...rest: string[]): string {
  return [ROOT, site(siteId), ...rest].join('.');
}

/**
 * Subject builders (design §3). `site_id` is always the second token so one permission or one
 * filter selects a site; every token is checked so no caller can build a subject that means
 * something else (`.` splits, `*` and `>` match).
 */
export const subjects = {
  cmd: (siteId: string, worker: string) => subject(siteId, 'cmd', token('worker', worker)),
  /** A command for one instance of a worker kind (placement, reroute after a quarantine). */
  cmdTo: (siteId: string, worker: string, instance: string) =>
    subject(siteId, 'cmd', token('worker', worker), token('instance', instance)),
  evt: (siteId: string, actor: string, event: string) =>
    subject(siteId, 'evt', token('actor', actor), token('event', event)),
  adv: (siteId: string, module: string, kind: string) =>
    subject(siteId, 'adv', token('module', module), token('kind', kind)),
  stardust: (siteId: string, kind: string) => subject(siteId, 'stardust', token('kind', kind)),
  /** One ledger packet: `ref` names what it records, so a kind+ref exists at most once. */
  stardustPacket: (siteId: string, kind: string, ref: string) =>
    subject(siteId, 'stardust', token('kind', kind), token('ref', ref)),
  dlq: (siteId: string, actor: string) => subject(siteId, 'dlq', token('actor', actor)),
  rpc: (siteId: string, actor: string, verb: string) =>
    subject(siteId, 'rpc', token('actor', actor), token('verb', verb)),
  opsCmd: (siteId: string, host: string) => subject(siteId, 'ops', token('host', host), 'cmd'),
  opsResult: (siteId: string, host: string) =>
    subject(siteId, 'ops', token('host', host), 'result'),
  hb: (siteId: string, host: string) => subject(siteId, 'hb', token('host', host)),
  alert: (siteId: string, type: string) => subject(siteId, 'alert', token('type', type)),

  /**
   * The hub's own prefixes for sourcing one site's ledger copy into the fleet ledger: where
   * the fleet account reaches the site account's JetStream API, and where the site's copy is
   * delivered. `hub` is the hub's JetStream domain, in the site position of the subject.
   */
  fleetApi: (hub: string, siteId: string) => subject(hub, 'fleet', 'api', site(siteId)),
  fleetDeliver: (hub: string, siteId: string) => subject(hub, 'fleet', 'deliver', site(siteId)),

  all: (siteId: string) => subject(siteId, '>'),
  cmdAll: (siteId: string) => subject(siteId, 'cmd', '>'),
  evtAll: (siteId: string) => subject(siteId, 'evt', '>'),
  /** One event name from any actor, e.g. every worker's `status`. */
  evtAny: (siteId: string, event: string) => subject(siteId, 'evt', '*', token('event', event)),
  /** One advice kind from any module, e.g. every `work_request`. */
  advAny: (siteId: string, kind: string) => subject(siteId, 'adv', '*', token('kind', kind)),
  advAll: (siteId: string) => subject(siteId, 'adv', '>'),
  stardustAll: (siteId: string) => subject(siteId, 'stardust', '>'),
  dlqAll: (siteId: string) => subject(siteId, 'dlq', '>'),
  rpcAll: (siteId: string, actor: string) => subject(siteId, 'rpc', token('actor', actor), '*'),
  hbAll: (siteId: string) => subject(siteId, 'hb', '>'),
  alertAll: (siteId: string) => subject(siteId, 'alert', '>'),
} as const;

/** Whether a concrete subject matches a filter with NATS wildcards (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/** The tokens that follow the kind and what each names; `?` marks an optional last token. */
const SHAPES = {
  cmd: ['worker', 'instance?'],
  evt: ['actor', 'event'],
  adv: ['module', 'kind'],
  stardust: ['kind', 'ref?'],
  dlq: ['actor'],
  rpc: ['actor', 'verb'],
  ops: ['host', 'direction'],
  hb: ['host'],
  alert: ['type'],
} as const;

export type SubjectKind = keyof typeof SHAPES;

export interface ParsedSubject {
  site: string;
  kind: SubjectKind;
  /** The tokens after the kind, e.g. `[actor, event]` for `evt`. */
  tokens: string[];
}

/** Splits a concrete (wildcard-free) Omniva subject; throws OMNIVA_ERR_SUBJECT_TOKEN if malformed. */
export function parseSubject(value: string): ParsedSubject {
  const [root, siteId = '', kind = '', ...tokens] = value.split('.');
  if (root !== ROOT) throw tokenError('root', root, `subjects start with "${ROOT}."`);
  site(siteId);
  if (!Object.hasOwn(SHAPES, kind)) {
    throw tokenError('kind', kind, `expected one of ${Object.keys(SHAPES).join(', ')}`);
  }
  const roles: readonly string[] = SHAPES[kind as SubjectKind];
  const required = roles.filter((r) => !r.endsWith('?')).length;
  if (tokens.length < required || tokens.length > roles.length) {
    const expected = required === roles.length ? `${required}` : `${required} or ${roles.length}`;
    throw new OmnivaError(
      'OMNIVA_ERR_SUBJECT_TOKEN',
      `subject "${value}" has ${tokens.length} tokens after "${kind}"; expected ${expected} (${roles.join('.')})`,
      { subject: value },
    );
  }
  for (const [i, t] of tokens.entries()) token((roles[i] ?? 'token').replace('?', ''), t);
  if (kind === 'ops' && tokens[1] !== 'cmd' && tokens[1] !== 'result') {
    throw tokenError('direction', tokens[1], 'expected cmd or result');
  }
  return { site: siteId, kind: kind as SubjectKind, tokens };
}
