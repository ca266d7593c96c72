import { OmnivaError, subjects } from '../protocols/index.ts';
import { type RolePermissions, rolePermissions, SITE_ROLES, type SiteRole } from './permissions.ts';

export interface RoleCredentials {
  user: string;
  /** Plain text (tests, a laptop) or a bcrypt hash (`$2a$…`), which nats-server recognises. */
  password: string;
}

export type SiteRoles = { zenith: RoleCredentials } & Partial<
  Record<Exclude<SiteRole, 'zenith'>, RoleCredentials>
>;

export interface SiteConfigOptions {
  site: string;
  /** A user per role; roles left out get no user. */
  roles: SiteRoles;
  /** Client port; 4222 when omitted, -1 lets the server pick one. */
  port?: number;
  /** Listen address; loopback unless the site's hosts connect over the network. */
  host?: string;
  jetstreamDir?: string;
  /** JetStream domain; the site id unless given (design §3). */
  domain?: string;
}

const BCRYPT = /^\$2[abxy]\$\d{2}\$/;

function invalid(message: string, info?: Record<string, unknown>): OmnivaError {
  return new OmnivaError('OMNIVA_ERR_CONFIG_INVALID', message, info);
}

// nats-server config strings are double-quoted with JSON-style escapes; control characters
// are refused outright rather than escaped, since no credential needs one.
function quote(value: string, what: string): string {
  const control = [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
  if (value === '' || control) {
    throw invalid(`${what} must be non-empty and free of control characters`);
  }
  return JSON.stringify(value);
}

// One subject per line, so a rendered config reads like the permission table it came from.
function list(name: string, values: readonly string[], pad: string): string[] {
  if (values.length === 0) return [];
  return [`${pad}${name}: [`, ...values.map((v) => `${pad}  ${JSON.stringify(v)}`), `${pad}]`];
}

function rules(kind: string, r: { allow: string[]; deny: string[] }, pad: string): string[] {
  return [
    `${pad}${kind}: {`,
    ...list('allow', r.allow, `${pad}  `),
    ...list('deny', r.deny, `${pad}  `),
    `${pad}}`,
  ];
}

function renderUser(role: SiteRole, c: RoleCredentials, p: RolePermissions): string[] {
  const pad = '      ';
  return [
    `    # role: ${role}${BCRYPT.test(c.password) ? '' : ' (plain-text password; use a bcrypt hash outside tests)'}`,
    '    {',
    `      user: ${quote(c.user, `user of role ${role}`)}`,
    `      password: ${quote(c.password, `password of role ${role}`)}`,
    `      permissions: {`,
    ...rules('publish', p.publish, `${pad}  `),
    ...rules('subscribe', p.subscribe, `${pad}  `),
    '      }',
    '    }',
  ];
}

/**
 * The `authorization { users = [...] }` block for a site: one user per role, each with the
 * permissions of sites/permissions.ts. Append it to a server config (startNatsServer's
 * `extraConfig`), or use renderSiteConfig for a whole file.
 */
export function renderAuthorization(site: string, roles: SiteRoles): string {
  subjects.all(site); // throws OMNIVA_ERR_SUBJECT_TOKEN for a bad site id
  if (!roles?.zenith) throw invalid('a site needs a zenith user: it is the only command writer');
  const seen = new Map<string, SiteRole>();
  const users: string[] = [];
  for (const role of Object.keys(roles)) {
    if (!(SITE_ROLES as readonly string[]).includes(role)) {
      throw invalid(`unknown role "${role}"; roles are ${SITE_ROLES.join(', ')}`);
    }
  }
  for (const role of SITE_ROLES) {
    const c = roles[role];
    if (!c) continue;
    const other = seen.get(c.user);
    if (other) throw invalid(`user "${c.user}" is given to both ${other} and ${role}`);
    seen.set(c.user, role);
    users.push(...renderUser(role, c, rolePermissions(site, role)));
  }
  return ['authorization {', '  users = [', ...users, '  ]', '}'].join('\n');
}

/** A complete nats-server config for one site: listener, JetStream (domain = site), users. */
export function renderSiteConfig(o: SiteConfigOptions): string {
  const domain = o.domain ?? o.site;
  const port = o.port ?? 4222;
  if (!Number.isInteger(port) || port < -1 || port > 65_535) {
    throw invalid(`port ${port} is not a TCP port (or -1 for any free one)`);
  }
  const js = [
    ...(o.jetstreamDir ? [`  store_dir: ${quote(o.jetstreamDir, 'jetstreamDir')}`] : []),
    `  domain: ${quote(domain, 'domain')}`,
  ];
  return [
    `# nats-server config for Omniva site "${o.site}", rendered by sites/nats-config.ts.`,
    `# Only the zenith user may write commands (omniva.${o.site}.cmd.>); see sites/permissions.ts`,
    '# for what each role may do and what the permissions cannot lock.',
    `server_name: ${quote(`omniva-${o.site}`, 'server name')}`,
    `host: ${quote(o.host ?? '127.0.0.1', 'host')}`,
    `port: ${port}`,
    'max_payload: 8MB',
    `jetstream {\n${js.join('\n')}\n}`,
    renderAuthorization(o.site, o.roles),
    '',
  ].join('\n');
}
