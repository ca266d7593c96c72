import { PLACED_WORKERS, SECRET_ENV } from '../config/index.ts';
import {
  type Fleet,
  type FleetHost,
  type FleetSite,
  type HostRole,
  serverPorts,
  WORKER_ROLES,
} from './fleet.ts';
import { renderHubConfig } from './hub-config.ts';
import {
  envName,
  HUB_ADMIN_ENV,
  hostPort,
  LAYOUT,
  leafPasswordEnv,
  leafUser,
  q,
} from './layout.ts';
import { renderAuthorization, type SiteRoles } from './nats-config.ts';
import { SITE_ROLES, type SiteRole } from './permissions.ts';

/**
 * Deployment layout (what `omniva fleet render` writes under DIR/<host_id>/, mirroring the
 * host's root file system so `rsync -a DIR/<host_id>/ root@host:/` installs it):
 *
 *   etc/omniva/nats-server.conf           nats hosts and the hub
 *   etc/omniva/<instance>.json            omniva config per process (zenith, a worker kind,
 *                                         ops-agent): site, host, NATS url and user
 *   etc/omniva/enabled-units              units to `systemctl enable --now`, one a line
 *   etc/omniva/secrets/*.env.example      the secret variables each unit reads, values empty
 *   etc/systemd/system/omniva-*.service   omniva-nats, omniva-worker@ (template), ops-agent,
 *                                         omniva-hub-provision (hub)
 *   etc/polkit-1/rules.d/50-omniva-ops-agent.rules  lets the agent restart/stop worker units
 *   etc/omniva/fleet.json                 the hub's copy of the fleet file
 *
 * The code lives in /opt/omniva (a checkout with node_modules), state in /var/lib/omniva, all
 * owned by the `omniva` system user. No secret is ever rendered: nats-server reads `$NAME`
 * from its environment (EnvironmentFile), and each omniva process reads OMNIVA_NATS__PASS
 * from /etc/omniva/secrets/<instance>.env.
 */
// The fleet file's API travels with the renderer, so sites/index.ts needs one line for both.
export {
  type Fleet,
  type FleetHost,
  type FleetResult,
  type FleetSite,
  type FleetViolation,
  fleetSchema,
  formatFleetErrors,
  HOST_ROLES,
  type HostRole,
  parseFleet,
  validateFleet,
} from './fleet.ts';

export interface RenderedFile {
  /** Relative to the host's directory, e.g. `etc/omniva/nats-server.conf`. */
  path: string;
  content: string;
  /** 0o600 for anything naming secrets, 0o644 otherwise. */
  mode: number;
}

export interface RenderedHost {
  host_id: string;
  /** undefined for the hub. */
  site_id?: string;
  units: string[];
  files: RenderedFile[];
}

type Instance = { name: string; role: SiteRole; workers: string[] };

/** The variable the site server reads a role's password from, unless a bcrypt hash is given. */
export const rolePasswordEnv = (role: SiteRole) => envName(SECRET_ENV.natsPass, role);
/** A site server reads its whole leafnode URL (with the password) from this variable. */
export const LEAF_URL_ENV = SECRET_ENV.leafUrl;

// renderAuthorization quotes every password; a server-side variable must be bare, so render
// with a marker and unquote it. The marker cannot occur in a real password (schema pattern).
const VAR_MARK = '@@env@@';

function siteRoles(fleet: Fleet): SiteRoles {
  const roles = {} as Record<SiteRole, { user: string; password: string }>;
  for (const role of SITE_ROLES) {
    const u = fleet.users?.[role];
    const pw = u?.password ?? `env:${rolePasswordEnv(role)}`;
    roles[role] = {
      user: u?.user ?? role,
      password: pw.startsWith('env:') ? `${VAR_MARK}${pw.slice(4)}` : pw,
    };
  }
  return roles;
}

function authorization(site: string, fleet: Fleet): string {
  return renderAuthorization(site, siteRoles(fleet))
    .replace(/"@@env@@([A-Z0-9_]+)"/g, '$$$1')
    .replace(/ \(plain-text password; use a bcrypt hash outside tests\)/g, ' (password from env)');
}

/** The leafnode URL a site's servers dial, with the password the hub knows for that site. */
export const leafUrl = (fleet: Fleet, s: FleetSite, password: string) =>
  `nats-leaf://${leafUser(s.site_id)}:${password}@${hostPort(fleet.hub.host, fleet.hub.leafnode_port)}`;

const natsHosts = (s: FleetSite) => s.hosts.filter((h) => h.roles.includes('nats'));

function siteServerConf(fleet: Fleet, s: FleetSite, h: FleetHost): string {
  const cluster = natsHosts(s).filter((n) => n.cluster);
  const ports = serverPorts(s, h);
  const lines = [
    `# nats-server config for host "${h.host_id}" of Omniva site "${s.site_id}" (fleet "${fleet.fleet}"),`,
    '# rendered by `omniva fleet render`. Passwords are $VARIABLES nats-server reads from its',
    '# environment (/etc/omniva/secrets/nats.env); only the zenith user may publish',
    `# omniva.${s.site_id}.cmd.> (sites/permissions.ts).`,
    `server_name: ${q(`omniva-${s.site_id}-${h.host_id}`)}`,
    `host: ${q(h.address)}`,
    `port: ${ports.client}`,
    'max_payload: 8MB',
    'jetstream {',
    `  store_dir: ${q(`${LAYOUT.state}/nats`)}`,
    `  domain: ${q(s.site_id)}`,
    '}',
  ];
  if (cluster.length > 0) {
    const routes = cluster
      .filter((n) => n.host_id !== h.host_id)
      .map((n) => `    ${q(`nats-route://${hostPort(n.address, serverPorts(s, n).cluster)}`)}`);
    lines.push(
      '# A 3-server cluster: JetStream assets of this site are R3. Routes carry no credentials;',
      '# keep the cluster port reachable only between these hosts (firewall or private network).',
      'cluster {',
      `  name: ${q(`omniva-${s.site_id}`)}`,
      `  host: ${q(h.address)}`,
      `  port: ${ports.cluster}`,
      '  routes = [',
      ...routes,
      '  ]',
      '}',
    );
  }
  const hub = leafUrl(fleet, s, `<${leafPasswordEnv(s.site_id)}>`);
  lines.push(
    '# Leafnode to the hub; the URL carries the password, so it comes from the environment:',
    `# ${LEAF_URL_ENV}=${hub}`,
    'leafnodes {',
    '  remotes = [',
    `    { urls: [ $${LEAF_URL_ENV} ] }`,
    '  ]',
    '}',
    authorization(s.site_id, fleet),
    '',
  );
  return lines.join('\n');
}

const HARDENING = [
  'User=omniva',
  'Group=omniva',
  'Restart=on-failure',
  'NoNewPrivileges=yes',
  'ProtectSystem=strict',
  'ProtectHome=yes',
  'PrivateTmp=yes',
  'PrivateDevices=yes',
  'ProtectKernelTunables=yes',
  'ProtectKernelModules=yes',
  'ProtectControlGroups=yes',
  'RestrictSUIDSGID=yes',
  'LockPersonality=yes',
  `ReadWritePaths=${LAYOUT.state}`,
];

function unit(o: {
  description: string;
  after: string[];
  service: string[];
  limits: string[];
  /** `oneshot` for a task that runs once per boot and stays "active" (RemainAfterExit). */
  type?: 'simple' | 'oneshot';
}): string {
  return [
    '# Rendered by `omniva fleet render`; edit the fleet file, not this unit.',
    '[Unit]',
    `Description=${o.description}`,
    'Documentation=https://omniva.dev/docs/fleet',
    `After=${['network-online.target', ...o.after].join(' ')}`,
    'Wants=network-online.target',
    '',
    '[Service]',
    `Type=${o.type ?? 'simple'}`,
    ...(o.type === 'oneshot' ? ['RemainAfterExit=yes'] : []),
    ...o.service,
    ...HARDENING,
    ...o.limits,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const omniva = (args: string) =>
  `ExecStart=/usr/bin/env node ${LAYOUT.code}/cli/omniva.mjs ${args}`;

const natsUnit = (what: string) =>
  unit({
    description: `Omniva NATS server (${what})`,
    after: [],
    service: [
      `EnvironmentFile=${LAYOUT.etc}/secrets/nats.env`,
      `ExecStart=${LAYOUT.natsServer} -c ${LAYOUT.etc}/nats-server.conf`,
      'ExecReload=/bin/kill -HUP $MAINPID',
      // nats-server shuts down cleanly on SIGTERM; lame duck mode would be SIGUSR2.
      'TimeoutStopSec=60s',
      'RestartSec=2s',
    ],
    limits: ['LimitNOFILE=65536'],
  });

// One template for zenith and every worker kind: the instance name picks the config file.
const workerUnit = unit({
  description: 'Omniva %i',
  after: ['omniva-nats.service'],
  service: [
    `WorkingDirectory=${LAYOUT.code}`,
    'Environment=NODE_ENV=production',
    `EnvironmentFile=-${LAYOUT.etc}/secrets/%i.env`,
    omniva(`run -c ${LAYOUT.etc}/%i.json`),
    // SIGTERM drains in-flight work (runtime.drain_timeout_ms); give it time before SIGKILL.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60s',
    'RestartSec=5s',
  ],
  limits: ['LimitNOFILE=65536', 'MemoryMax=4G', 'CPUQuota=200%', 'TasksMax=512'],
});

const opsAgentUnit = unit({
  description: 'Omniva Ops Agent',
  after: ['omniva-nats.service'],
  service: [
    `WorkingDirectory=${LAYOUT.code}`,
    'Environment=NODE_ENV=production',
    `EnvironmentFile=-${LAYOUT.etc}/secrets/ops-agent.env`,
    omniva(`ops agent -c ${LAYOUT.etc}/ops-agent.json`),
    'TimeoutStopSec=30s',
    'RestartSec=5s',
  ],
  limits: ['LimitNOFILE=4096', 'MemoryMax=512M', 'CPUQuota=50%'],
});

function instances(h: FleetHost): Instance[] {
  const has = (r: HostRole) => h.roles.includes(r);
  const out: Instance[] = [];
  if (has('zenith')) out.push({ name: 'zenith', role: 'zenith', workers: [] });
  for (const w of WORKER_ROLES) if (has(w)) out.push({ name: w, role: 'worker', workers: [w] });
  if (has('ops-agent')) out.push({ name: 'ops-agent', role: 'agent', workers: [] });
  return out;
}

function instanceConfig(fleet: Fleet, s: FleetSite, h: FleetHost, i: Instance): string {
  // Prefer the server on this host; otherwise the site's first nats host.
  const server = h.roles.includes('nats') ? h : (natsHosts(s)[0] as FleetHost);
  const config = {
    site_id: s.site_id,
    host_id: h.host_id,
    // One data directory per host: the media store is shared by the host's workers (the
    // scraper stores what the analyzer and editor read); each worker keeps its own records
    // in a subdirectory of its name.
    data_dir: LAYOUT.state,
    nats: {
      url: `nats://${hostPort(server.address, serverPorts(s, server).client)}`,
      user: fleet.users?.[i.role]?.user ?? i.role,
    },
    ...(i.name === 'ops-agent'
      ? { ops: agentConfig(fleet, s, h) }
      : {
          workers: {
            enabled: i.workers,
            // Promoted media is imported by one process per host: its first worker.
            media_inbox: i.name === instances(h).find((x) => x.role === 'worker')?.name,
            ...uploaderTrust(fleet, i),
          },
        }),
    // Only the zenith process contends for the lease and runs the advisory modules.
    cognitive:
      i.role === 'zenith' ? { enabled: true, zenith: zenithConfig(fleet, s) } : { enabled: false },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The environment variable the zenith process reads the grant seed from. */
export const GRANT_SEED_ENV = 'OMNIVA_GRANT_SEED';

/** Zenith places each kind's work on the site's hosts that run it, in fleet-file order. */
function zenithConfig(fleet: Fleet, s: FleetSite) {
  const placement = Object.fromEntries(
    PLACED_WORKERS.map((w) => [
      w,
      s.hosts.filter((h) => h.roles.includes(w)).map((h) => h.host_id),
    ]),
  );
  return {
    placement,
    ...(fleet.zenith?.grant_public_key ? { grant_seed: `env:${GRANT_SEED_ENV}` } : {}),
  };
}

/** The uploader trusts the grants of the fleet's grant key. */
function uploaderTrust(fleet: Fleet, i: Instance) {
  const key = fleet.zenith?.grant_public_key;
  return i.workers.includes('uploader') && key ? { uploader: { trusted_keys: [key] } } : {};
}

/** The site's alerts are delivered by one agent: the first host of the site that has one. */
const alertingHost = (s: FleetSite) => s.hosts.find((h) => h.roles.includes('ops-agent'));
export const ALERT_WEBHOOK_ENV = 'OMNIVA_ALERT_WEBHOOK_URL';

/** The `ops` section of a host's agent (config/ops-schema.ts). */
function agentConfig(fleet: Fleet, s: FleetSite, h: FleetHost) {
  const alerts = alertingHost(s)?.host_id === h.host_id;
  return {
    trusted: fleet.ops?.trusted ?? [],
    // restart / drain: systemctl on this host's own units (the polkit rule allows no more).
    process: {
      manager: 'systemd',
      workers: instances(h)
        .filter((i) => i.name !== 'ops-agent')
        .map((i) => i.name),
    },
    health: { volumes: [LAYOUT.state] },
    ...(alerts
      ? {
          alerts: {
            console: true,
            ...(fleet.ops?.alert_webhook ? { webhook: { url: `env:${ALERT_WEBHOOK_ENV}` } } : {}),
          },
        }
      : {}),
  };
}

// systemd asks polkit whether the agent (user omniva, NoNewPrivileges: no sudo) may restart
// or stop a unit; this allows exactly the worker units and those two verbs.
const POLKIT_RULE = `// Rendered by \`omniva fleet render\`: the Ops Agent may restart and stop Omniva worker units.
polkit.addRule(function (action, subject) {
  if (action.id === "org.freedesktop.systemd1.manage-units" && subject.user === "omniva") {
    var unit = action.lookup("unit"), verb = action.lookup("verb");
    if (/^omniva-worker@[A-Za-z0-9_-]+\\.service$/.test(unit) &&
        (verb === "restart" || verb === "stop")) {
      return polkit.Result.YES;
    }
  }
});
`;

function secretsExample(
  file: string,
  names: string[],
  values: Record<string, string> = {},
): RenderedFile {
  const head = `# Copy to ${LAYOUT.etc}/secrets/${file}.env (mode 0600, owner omniva) and fill in.`;
  return {
    path: `etc/omniva/secrets/${file}.env.example`,
    content: `${[head, ...names.map((n) => `${n}=${values[n] ?? ''}`)].join('\n')}\n`,
    mode: 0o600,
  };
}

function serverSecrets(fleet: Fleet): string[] {
  return SITE_ROLES.filter((r) => !fleet.users?.[r]?.password?.startsWith('$2')).map((r) => {
    const pw = fleet.users?.[r]?.password;
    return pw?.startsWith('env:') ? pw.slice(4) : rolePasswordEnv(r);
  });
}

function renderSiteHost(fleet: Fleet, s: FleetSite, h: FleetHost): RenderedHost {
  const files: RenderedFile[] = [];
  const units: string[] = [];
  const file = (path: string, content: string, mode = 0o644) => files.push({ path, content, mode });
  if (h.roles.includes('nats')) {
    file('etc/omniva/nats-server.conf', siteServerConf(fleet, s, h), 0o640);
    file(`${LAYOUT.units}/omniva-nats.service`, natsUnit(`site ${s.site_id}, host ${h.host_id}`));
    const leaf = { [LEAF_URL_ENV]: leafUrl(fleet, s, 'CHANGE_ME') };
    files.push(secretsExample('nats', [...serverSecrets(fleet), LEAF_URL_ENV].sort(), leaf));
    units.push('omniva-nats.service');
  }
  const list = instances(h);
  if (list.some((i) => i.name !== 'ops-agent')) {
    file(`${LAYOUT.units}/omniva-worker@.service`, workerUnit);
  }
  for (const i of list) {
    file(`etc/omniva/${i.name}.json`, instanceConfig(fleet, s, h, i));
    const webhook =
      i.name === 'ops-agent' && fleet.ops?.alert_webhook && alertingHost(s)?.host_id === h.host_id;
    const grant = i.role === 'zenith' && fleet.zenith?.grant_public_key;
    files.push(
      secretsExample(i.name, [
        'OMNIVA_NATS__PASS',
        ...(webhook ? [ALERT_WEBHOOK_ENV] : []),
        ...(grant ? [GRANT_SEED_ENV] : []),
      ]),
    );
    if (i.name === 'ops-agent') {
      file(`${LAYOUT.units}/omniva-ops-agent.service`, opsAgentUnit);
      file('etc/polkit-1/rules.d/50-omniva-ops-agent.rules', POLKIT_RULE);
      units.push('omniva-ops-agent.service');
    } else {
      units.push(`omniva-worker@${i.name}.service`);
    }
  }
  file('etc/omniva/enabled-units', `${units.join('\n')}\n`);
  return { host_id: h.host_id, site_id: s.site_id, units, files: sortFiles(files) };
}

// Creates the hub's ledger copies and STARDUST_ALL once the hub's server is up; safe to rerun
// after a site is added to the fleet file (`systemctl restart omniva-hub-provision`).
const hubProvisionUnit = (fleet: Fleet) =>
  unit({
    description: `Omniva hub: provision the fleet ledger of fleet ${fleet.fleet}`,
    after: ['omniva-nats.service'],
    type: 'oneshot',
    service: [
      `WorkingDirectory=${LAYOUT.code}`,
      `EnvironmentFile=${LAYOUT.etc}/secrets/nats.env`,
      omniva(
        `fleet provision-hub ${LAYOUT.etc}/fleet.json --url nats://${hostPort(fleet.hub.host, fleet.hub.client_port)}`,
      ),
      'RestartSec=5s',
    ],
    limits: ['LimitNOFILE=4096', 'MemoryMax=512M'],
  });

function renderHub(fleet: Fleet): RenderedHost {
  const units = ['omniva-nats.service', 'omniva-hub-provision.service'];
  const files: RenderedFile[] = [
    { path: 'etc/omniva/nats-server.conf', content: renderHubConfig(fleet), mode: 0o640 },
    { path: 'etc/omniva/fleet.json', content: `${JSON.stringify(fleet, null, 2)}\n`, mode: 0o644 },
    {
      path: `${LAYOUT.units}/omniva-hub-provision.service`,
      content: hubProvisionUnit(fleet),
      mode: 0o644,
    },
    {
      path: `${LAYOUT.units}/omniva-nats.service`,
      content: natsUnit(`hub of fleet ${fleet.fleet}`),
      mode: 0o644,
    },
    secretsExample(
      'nats',
      [HUB_ADMIN_ENV, ...fleet.sites.map((s) => leafPasswordEnv(s.site_id))].sort(),
    ),
    { path: 'etc/omniva/enabled-units', content: `${units.join('\n')}\n`, mode: 0o644 },
  ];
  return { host_id: fleet.hub.host_id ?? 'hub', units, files: sortFiles(files) };
}

const sortFiles = (files: RenderedFile[]) =>
  [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/**
 * Every file of every host of a validated fleet (validateFleet / parseFleet), hosts sorted by
 * id and files by path, so the same fleet file always renders byte-identical output.
 */
export function renderFleet(fleet: Fleet): RenderedHost[] {
  const hosts = [
    renderHub(fleet),
    ...fleet.sites.flatMap((s) => s.hosts.map((h) => renderSiteHost(fleet, s, h))),
  ];
  return hosts.sort((a, b) => (a.host_id < b.host_id ? -1 : a.host_id > b.host_id ? 1 : 0));
}
