import { subjects } from '../protocols/index.ts';
import { siteLedgerCopy } from '../runtime/stardust/index.ts';
import type { Fleet } from './fleet.ts';
import {
  HUB_ADMIN_ENV,
  HUB_ADMIN_USER,
  hubSiteAdminUser,
  LAYOUT,
  leafPasswordEnv,
  leafUser,
  q,
} from './layout.ts';

/** The hub's own account: STARDUST_ALL and the fleet-wide views. */
export const FLEET_ACCOUNT = 'FLEET';

/**
 * What one site's account on the hub shares with the fleet account, and nothing more: the
 * consumer-create API and flow control of the site's ledger copy, and its delivery subject.
 * The names are the ones runtime/stardust/fleet.ts sources from.
 */
function shared(hub: string, site: string) {
  const copy = siteLedgerCopy(site);
  return {
    services: [`$JS.API.CONSUMER.CREATE.${copy}`, `$JS.API.CONSUMER.CREATE.${copy}.>`],
    /** Answered by the fleet account, so imported the other way round in effect. */
    flowControl: `$JS.FC.${copy}.>`,
    deliver: `${subjects.fleetDeliver(hub, site)}.>`,
    /** Where the fleet account calls the site account's API (the source's `external.api`). */
    api: subjects.fleetApi(hub, site),
  };
}

function siteAccount(hub: string, site: string): string[] {
  const s = shared(hub, site);
  return [
    `  ${q(site)}: {`,
    '    jetstream: enabled',
    '    users: [',
    // A site's servers join as leafnodes with this user. Everything the site publishes stays
    // in this account; the deny keeps it off the hub's own JetStream API and fleet subjects.
    `      { user: ${q(leafUser(site))}, password: $${leafPasswordEnv(site)},`,
    '        allowed_connection_types: ["LEAFNODE"],',
    `        permissions: { publish: { deny: [${q(`$JS.${hub}.API.>`)}, ${q(subjects.all(hub))}] } } }`,
    // The hub operator, in this account only to keep the site's ledger copy (a mirror).
    `      { user: ${q(hubSiteAdminUser(site))}, password: $${HUB_ADMIN_ENV},`,
    '        allowed_connection_types: ["STANDARD"] }',
    '    ]',
    '    exports: [',
    ...s.services.map((x) => `      { service: ${q(x)} }`),
    `      { service: ${q(s.flowControl)} }`,
    `      { stream: ${q(s.deliver)} }`,
    '    ]',
    '  }',
  ];
}

function fleetAccount(hub: string, sites: string[]): string[] {
  const imports = sites.flatMap((site) => {
    const s = shared(hub, site);
    const from = (subject: string) => `{ account: ${q(site)}, subject: ${q(subject)} }`;
    return [
      ...s.services.map(
        (x) => `      { service: ${from(x)}, to: ${q(x.replace('$JS.API', s.api))} }`,
      ),
      `      { service: ${from(s.flowControl)} }`,
      `      { stream: ${from(s.deliver)} }`,
    ];
  });
  return [
    `  ${FLEET_ACCOUNT}: {`,
    '    jetstream: enabled',
    '    users: [',
    `      { user: ${q(HUB_ADMIN_USER)}, password: $${HUB_ADMIN_ENV}, allowed_connection_types: ["STANDARD"] }`,
    '    ]',
    '    imports: [',
    ...imports,
    '    ]',
    '  }',
  ];
}

/**
 * The hub's nats-server config. Every site joins by leafnode into its own account, so no site
 * can see or publish another site's subjects, even with full rights on its own server; the
 * fleet account sources each site's ledger copy into STARDUST_ALL through explicit exports
 * and imports (runtime/stardust/fleet.ts). Passwords are $VARIABLES from the environment.
 */
export function renderHubConfig(fleet: Fleet): string {
  const hub = fleet.hub;
  const domain = hub.domain ?? 'hub';
  const sites = fleet.sites.map((s) => s.site_id).sort();
  return [
    `# nats-server config for the hub of Omniva fleet "${fleet.fleet}", rendered by`,
    '# `omniva fleet render`. Each site joins as a leafnode into its own account; the FLEET',
    '# account holds STARDUST_ALL (provisioned by `omniva fleet provision-hub`). Passwords are',
    '# $VARIABLES read from the environment (/etc/omniva/secrets/nats.env).',
    `server_name: ${q(`omniva-${domain}`)}`,
    `host: ${q(hub.host)}`,
    `port: ${hub.client_port}`,
    'max_payload: 8MB',
    'jetstream {',
    `  store_dir: ${q(`${LAYOUT.state}/nats`)}`,
    `  domain: ${q(domain)}`,
    '}',
    'leafnodes {',
    `  host: ${q(hub.host)}`,
    `  port: ${hub.leafnode_port}`,
    '}',
    'accounts {',
    ...sites.flatMap((site) => siteAccount(domain, site)),
    ...fleetAccount(domain, sites),
    '}',
    '',
  ].join('\n');
}
