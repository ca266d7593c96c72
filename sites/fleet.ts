import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { FromSchema } from 'json-schema-to-ts';
import { opsSchema } from '../config/ops-schema.ts';
import { OmnivaError } from '../protocols/index.ts';
import { SITE_ROLES } from './permissions.ts';

// Same identifier rule as config/schema.ts: ids become subject tokens, JetStream domains,
// server names and directory names, so lowercase only.
const ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
// An address is a host name or an IPv4/IPv6 literal; nothing that could break a config line.
const ADDRESS_PATTERN = '^[A-Za-z0-9.:-]{1,253}$';
// The server reads `$NAME` from its environment (EnvironmentFile); a bcrypt hash is literal.
const PASSWORD_PATTERN = '^(env:[A-Z_][A-Z0-9_]*|\\$2[abxy]\\$[0-9]{2}\\$[./A-Za-z0-9]{53})$';

/** What a host can run. `nats` is the site's server; the rest are `omniva` processes. */
export const HOST_ROLES = [
  'nats',
  'zenith',
  'scraper',
  'analyzer',
  'editor',
  'uploader',
  'scheduler',
  'ops-agent',
] as const;
export type HostRole = (typeof HOST_ROLES)[number];

/** Workers that read or write media: the scraper stores, the others read. */
const MEDIA_ROLES: readonly HostRole[] = ['scraper', 'analyzer', 'editor', 'uploader'];

/** Worker kinds: each runs as one `omniva-worker@<kind>` instance. */
export const WORKER_ROLES = ['scraper', 'analyzer', 'editor', 'uploader', 'scheduler'] as const;

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;

const userSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    password: {
      type: 'string',
      pattern: PASSWORD_PATTERN,
      description: 'env:NAME (read by nats-server from its environment) or a bcrypt hash',
    },
  },
} as const;

export const fleetSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://omniva.dev/schemas/fleet.json',
  title: 'Omniva fleet',
  type: 'object',
  additionalProperties: false,
  required: ['fleet', 'hub', 'sites'],
  properties: {
    fleet: { type: 'string', pattern: ID_PATTERN },
    hub: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'leafnode_port', 'client_port'],
      properties: {
        host_id: { type: 'string', pattern: ID_PATTERN, default: 'hub' },
        host: { type: 'string', pattern: ADDRESS_PATTERN },
        leafnode_port: port,
        client_port: port,
        domain: { type: 'string', pattern: ID_PATTERN, default: 'hub' },
      },
    },
    sites: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['site_id', 'hosts'],
        properties: {
          site_id: { type: 'string', pattern: ID_PATTERN },
          client_port: { ...port, default: 4222 },
          cluster_port: { ...port, default: 6222 },
          hosts: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['host_id', 'address', 'roles'],
              properties: {
                host_id: { type: 'string', pattern: ID_PATTERN },
                address: { type: 'string', pattern: ADDRESS_PATTERN },
                roles: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: { type: 'string', enum: [...HOST_ROLES] },
                },
                cluster: { type: 'boolean' },
                client_port: {
                  ...port,
                  description:
                    "this server's client port, when not the site's (servers sharing a machine)",
                },
                cluster_port: {
                  ...port,
                  description: "this server's cluster port, when not the site's",
                },
              },
            },
          },
        },
      },
    },
    zenith: {
      type: 'object',
      additionalProperties: false,
      description: 'Settings every site Zenith shares',
      properties: {
        grant_public_key: {
          type: 'string',
          pattern: '^A[A-Z2-7]{55}$',
          description:
            'Public key of the upload-grant key (`omniva ops keygen --grant`): zenith signs with its seed (OMNIVA_GRANT_SEED), uploaders trust it',
        },
      },
    },
    ops: {
      type: 'object',
      additionalProperties: false,
      description: "The hosts' Ops Agents",
      properties: {
        // The same shape as the agent's own config (config/ops-schema.ts), copied into each.
        trusted: opsSchema.properties.trusted,
        alert_webhook: {
          type: 'boolean',
          default: false,
          description:
            'The alerting agent of each site also POSTs alerts to $OMNIVA_ALERT_WEBHOOK_URL',
        },
      },
    },
    users: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(SITE_ROLES.map((r) => [r, userSchema])) as Record<
        (typeof SITE_ROLES)[number],
        typeof userSchema
      >,
    },
  },
} as const;

export type Fleet = FromSchema<typeof fleetSchema>;
export type FleetSite = Fleet['sites'][number];
export type FleetHost = FleetSite['hosts'][number];

/** One problem in a fleet file: where (a JSON pointer) and what. */
export interface FleetViolation {
  pointer: string;
  reason: string;
}

export type FleetResult =
  | { ok: true; fleet: Fleet; warnings: FleetViolation[] }
  | { ok: false; errors: FleetViolation[] };

const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true });
const check = ajv.compile<Fleet>(fleetSchema);

function schemaReason(e: ErrorObject): { pointer: string; reason: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { pointer: `${e.instancePath}/${p.missingProperty}`, reason: 'is required' };
    case 'additionalProperties':
      return {
        pointer: `${e.instancePath}/${p.additionalProperty}`,
        reason: 'is not a known key here',
      };
    case 'enum':
      return {
        pointer: e.instancePath,
        reason: `must be one of ${(p.allowedValues as string[]).join(', ')}`,
      };
    case 'pattern':
      return { pointer: e.instancePath, reason: `must match ${p.pattern}` };
    default:
      return { pointer: e.instancePath, reason: e.message ?? e.keyword };
  }
}

function duplicates<T>(items: T[], key: (t: T) => string): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  items.forEach((t, i) => {
    seen.set(key(t), [...(seen.get(key(t)) ?? []), i]);
  });
  return new Map([...seen].filter(([, at]) => at.length > 1));
}

// Rules a JSON Schema cannot say: uniqueness across the fleet, and what makes a site a site.
function fleetRules(f: Fleet): FleetViolation[] {
  const errors: FleetViolation[] = [];
  const err = (pointer: string, reason: string) => errors.push({ pointer, reason });
  for (const [id, at] of duplicates(f.sites, (s) => s.site_id)) {
    for (const i of at.slice(1)) err(`/sites/${i}/site_id`, `site "${id}" is defined twice`);
  }
  if (f.sites.some((s) => s.site_id === f.hub.domain)) {
    err('/hub/domain', `the hub's JetStream domain "${f.hub.domain}" is also a site id`);
  }
  const hosts = f.sites.flatMap((s, si) =>
    s.hosts.map((h, hi) => ({ h, at: `/sites/${si}/hosts/${hi}` })),
  );
  for (const [id, at] of duplicates(hosts, (x) => x.h.host_id)) {
    for (const i of at.slice(1)) {
      err(`${hosts[i]?.at}/host_id`, `host "${id}" is defined twice (host ids are fleet-wide)`);
    }
  }
  for (const x of hosts) {
    if (x.h.host_id === f.hub.host_id) {
      err(`${x.at}/host_id`, `host "${x.h.host_id}" has the hub's host_id; rename one`);
    }
  }
  f.sites.forEach((s, si) => {
    const at = `/sites/${si}`;
    const nats = s.hosts.filter((h) => h.roles.includes('nats'));
    if (nats.length === 0) err(`${at}/hosts`, `site "${s.site_id}" has no host with role nats`);
    if (!s.hosts.some((h) => h.roles.includes('zenith'))) {
      err(`${at}/hosts`, `site "${s.site_id}" has no host with role zenith (the command writer)`);
    }
    s.hosts.forEach((h, hi) => {
      if (h.cluster && !h.roles.includes('nats')) {
        err(`${at}/hosts/${hi}/cluster`, 'only a host with role nats can join a cluster');
      }
    });
    const clustered = nats.filter((h) => h.cluster);
    if (clustered.length > 0 && (clustered.length !== 3 || nats.length !== 3)) {
      err(
        `${at}/hosts`,
        `site "${s.site_id}" asks for a cluster: it needs exactly 3 nats hosts, all with cluster: true (has ${nats.length}, ${clustered.length} clustered)`,
      );
    } else if (clustered.length === 0 && nats.length > 1) {
      err(
        `${at}/hosts`,
        `site "${s.site_id}" has ${nats.length} nats hosts: set cluster: true on 3 of them, or keep one`,
      );
    }
  });
  errors.push(...listenerClashes(f));
  return errors;
}

/** The server ports of a nats host: its own when given, else the site's. */
export function serverPorts(s: FleetSite, h: FleetHost): { client: number; cluster: number } {
  return {
    client: h.client_port ?? s.client_port ?? 4222,
    cluster: h.cluster_port ?? s.cluster_port ?? 6222,
  };
}

// Two servers (or the hub) listening on the same address and port cannot both start.
function listenerClashes(f: Fleet): FleetViolation[] {
  const listeners = [
    { key: `${f.hub.host}:${f.hub.client_port}`, at: '/hub/client_port' },
    { key: `${f.hub.host}:${f.hub.leafnode_port}`, at: '/hub/leafnode_port' },
  ];
  for (const [si, s] of f.sites.entries()) {
    for (const [hi, h] of s.hosts.entries()) {
      if (!h.roles.includes('nats')) continue;
      const p = serverPorts(s, h);
      const at = `/sites/${si}/hosts/${hi}`;
      listeners.push({ key: `${h.address}:${p.client}`, at: `${at}/client_port` });
      if (h.cluster) {
        listeners.push({ key: `${h.address}:${p.cluster}`, at: `${at}/cluster_port` });
      }
    }
  }
  return [...duplicates(listeners, (l) => l.key)].flatMap(([key, at]) =>
    at.slice(1).map((i) => ({
      pointer: listeners[i]?.at ?? '/',
      reason: `${key} is already taken by ${listeners[at[0] as number]?.at}; give this server its own port`,
    })),
  );
}

/**
 * Validates a parsed fleet file: the schema (defaults filled in a copy), then the fleet rules.
 * Every problem is reported at once, each with a JSON pointer.
 */
export function validateFleet(input: unknown): FleetResult {
  const data = structuredClone(input);
  if (!check(data)) {
    const errors = (check.errors ?? []).map(schemaReason);
    return { ok: false, errors: dedupe(errors) };
  }
  const errors = fleetRules(data);
  if (errors.length > 0) return { ok: false, errors };
  const warnings = data.sites
    .filter((s) => s.hosts.every((h) => !h.roles.includes('ops-agent')))
    .map((s) => ({
      pointer: `/sites/${data.sites.indexOf(s)}/hosts`,
      reason: `site "${s.site_id}" has no ops-agent host: operators cannot act on it`,
    }));
  // The media store is a directory of the host (design §8): workers that pass media to each
  // other must see one store.
  for (const [si, s] of data.sites.entries()) {
    const media = s.hosts.filter((h) => h.roles.some((r) => MEDIA_ROLES.includes(r)));
    if (media.length > 1) {
      warnings.push({
        pointer: `/sites/${si}/hosts`,
        reason: `site "${s.site_id}" runs media workers on ${media.map((h) => h.host_id).join(', ')}: they must share ${'/var/lib/omniva/media'} (one file system, e.g. NFS), or run on one host`,
      });
    }
  }
  if (!data.zenith?.grant_public_key) {
    warnings.push({
      pointer: '/zenith/grant_public_key',
      reason:
        'no grant key: each zenith process signs with a key of its own that no uploader trusts, so nothing is published (omniva ops keygen --grant)',
    });
  }
  if ((data.ops?.trusted ?? []).length === 0) {
    warnings.push({
      pointer: '/ops/trusted',
      reason: 'no control-plane key: every Ops Agent will refuse to start (omniva ops keygen)',
    });
  }
  return { ok: true, fleet: deepFreeze(data), warnings };
}

function dedupe(errors: FleetViolation[]): FleetViolation[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.pointer}\u0000${e.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** One line per problem: `/sites/1/hosts/0/roles/2: must be one of …`. */
export function formatFleetErrors(errors: readonly FleetViolation[]): string {
  return errors.map((e) => `${e.pointer || '/'}: ${e.reason}`).join('\n');
}

/** Parses and validates fleet JSON text; throws OMNIVA_ERR_CONFIG_INVALID with every problem. */
export function parseFleet(text: string): Fleet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OmnivaError('OMNIVA_ERR_CONFIG_INVALID', `/: not JSON: ${(e as Error).message}`);
  }
  const r = validateFleet(raw);
  if (!r.ok) {
    throw new OmnivaError('OMNIVA_ERR_CONFIG_INVALID', formatFleetErrors(r.errors), {
      violations: r.errors,
    });
  }
  return r.fleet;
}
