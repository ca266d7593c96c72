import { SECRET_ENV } from '../config/index.ts';

/**
 * Where a deployed host keeps things, and the small naming rules every rendered file shares.
 * The code lives in /opt/omniva (a checkout with node_modules), state in /var/lib/omniva, all
 * owned by the `omniva` system user.
 */
export const LAYOUT = {
  code: '/opt/omniva',
  state: '/var/lib/omniva',
  etc: '/etc/omniva',
  units: 'etc/systemd/system',
  natsServer: '/usr/sbin/nats-server',
} as const;

/** An environment variable name from parts: `OMNIVA_LEAF_PASS` + `site-a` → `OMNIVA_LEAF_PASS_SITE_A`. */
export const envName = (...parts: string[]) =>
  parts
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '_');

/** A nats-server config string: double-quoted with JSON escapes. */
export const q = (s: string) => JSON.stringify(s);

export const hostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** The hub reads each site's leafnode password from this variable. */
export const leafPasswordEnv = (site: string) => envName(SECRET_ENV.leafPass, site);
/** The hub operator's password: the fleet admin and each site account's hub admin. */
export const HUB_ADMIN_ENV = SECRET_ENV.hubAdminPass;
/** The user a site's servers join the hub with (a leafnode connection, nothing else). */
export const leafUser = (site: string) => `leaf-${site}`;
/** The hub operator's user in the fleet account (STARDUST_ALL, fleet-wide views). */
export const HUB_ADMIN_USER = 'hub-admin';
/** The hub operator's user in one site's account (that site's ledger copy). */
export const hubSiteAdminUser = (site: string) => `hub-admin-${site}`;
