import { mkdirSync } from 'node:fs';
import {
  ConfigError,
  type ConfigViolation,
  loadConfig,
  logSlice,
  type OmnivaConfig,
  type OpsConfig,
  opsSlice,
  processEnv,
} from '../../config/index.ts';
import {
  type AlertChannel,
  consoleChannel,
  fileChannel,
  noProcessManager,
  OPS_ACTOR,
  type ProcessManager,
  retryThroughZenith,
  siteActions,
  startAlertRouter,
  startHealthReporter,
  startOpsAgent,
  systemdManager,
  type TrustedIssuer,
  webhookChannel,
} from '../../ops-agent/index.ts';
import { type Alert, subjects } from '../../protocols/index.ts';
import {
  createLogger,
  drainOnSignals,
  isOpsPublicKey,
  isSecretRef,
  KvNonceStore,
  type Ledger,
  type Logger,
  openLedger,
  resolveSecret,
  type SignalConnection,
  SiteClient,
  STARDUST_STREAM,
} from '../../runtime/index.ts';
import { CliError, connectWithConfig, runningEmbeddedUrl } from '../internal/connect.ts';

export interface OpsAgentOptions {
  config?: string;
  url?: string;
}

/**
 * What the schema cannot check about `ops.trusted`: key checksums, keys listed twice, roles
 * the role table does not define, and an empty list (an agent that could only refuse).
 * Problems come back as one ConfigError, a readable line each.
 */
export function trustedIssuers(ops: Readonly<OpsConfig>, source = 'config'): TrustedIssuer[] {
  const violations: ConfigViolation[] = [];
  const lines: string[] = [];
  const problem = (pointer: string, key: string, reason: string) => {
    violations.push({ source, pointer, reason });
    lines.push(`${key}: ${reason} (from ${source})`);
  };
  if (ops.trusted.length === 0) {
    problem(
      '/ops/trusted',
      'ops.trusted',
      'no trusted key: this agent would refuse every command; add the public key `omniva ops keygen` prints',
    );
  }
  const seen = new Set<string>();
  ops.trusted.forEach((t, i) => {
    if (!isOpsPublicKey(t.public_key)) {
      problem(
        `/ops/trusted/${i}/public_key`,
        `ops.trusted[${i}].public_key`,
        'not a valid nkey public key (checksum)',
      );
    } else if (seen.has(t.public_key)) {
      problem(`/ops/trusted/${i}/public_key`, `ops.trusted[${i}].public_key`, 'listed twice');
    }
    seen.add(t.public_key);
    t.roles.forEach((role, j) => {
      if (!Object.hasOwn(ops.roles, role)) {
        problem(
          `/ops/trusted/${i}/roles/${j}`,
          `ops.trusted[${i}].roles[${j}]`,
          `role "${role}" is not in ops.roles (${Object.keys(ops.roles).join(', ')})`,
        );
      }
    });
  });
  if (violations.length > 0) throw new ConfigError(violations, lines);
  return ops.trusted.map((t) => ({ publicKey: t.public_key, roles: t.roles }));
}

/** The process manager ops.process names. */
export function processManagerOf(config: Readonly<OmnivaConfig>): ProcessManager {
  const p = config.ops.process;
  if (p.manager === 'none') return noProcessManager();
  return systemdManager({
    systemctl: p.systemctl_bin,
    unit: p.unit,
    host_id: config.host_id,
    workers: p.workers,
  });
}

interface HostReportingDeps {
  config: Readonly<OmnivaConfig>;
  ops: Readonly<OpsConfig>;
  nc: SignalConnection;
  log: Logger;
}

/** The alert channels ops.alerts configures; the webhook URL may be a secret reference. */
async function alertChannels(ops: Readonly<OpsConfig>): Promise<AlertChannel[]> {
  const a = ops.alerts;
  const channels: AlertChannel[] = [];
  if (a.webhook.url) {
    const url = isSecretRef(a.webhook.url)
      ? await resolveSecret(a.webhook.url, processEnv())
      : a.webhook.url;
    channels.push(
      webhookChannel({ url, timeoutMs: a.webhook.timeout_ms, retries: a.webhook.retries }),
    );
  }
  if (a.file.path) channels.push(fileChannel({ path: a.file.path }));
  if (a.console) channels.push(consoleChannel());
  return channels;
}

/**
 * Host health and alert delivery: the health reporter publishes this host's HostHealth on
 * `omniva.<site>.hb.<host>` every ops.health.interval_ms (and raises disk_full alerts); the
 * alert router, when ops.alerts names a channel, delivers the site's alerts to it.
 */
async function startHostReporting(d: HostReportingDeps): Promise<{ stop(): Promise<void> }> {
  const { config, ops, nc, log } = d;
  const channels = await alertChannels(ops);
  const alerts =
    channels.length > 0
      ? startAlertRouter({
          nc,
          site: config.site_id,
          channels,
          windowMs: ops.alerts.window_ms,
          log,
        })
      : undefined;
  const h = ops.health;
  const health = h.enabled
    ? startHealthReporter({
        nc,
        site: config.site_id,
        host: config.host_id,
        log,
        volumes: h.volumes,
        intervalMs: h.interval_ms,
        forgetWorkerAfterMs: h.forget_worker_after_ms,
        thresholds: {
          maxLoadPerCpu: h.thresholds.load_per_cpu,
          minMemoryAvailablePct: h.thresholds.memory_free_pct,
          minDiskFreePct: h.thresholds.disk_free_pct,
          diskFullPct: h.thresholds.disk_full_pct,
          workerGapMs: h.thresholds.worker_gap_ms,
        },
        // A local alert reaches the channels even when NATS does not; the copy that comes
        // back over the alert subject is a repeat within the window.
        ...(alerts
          ? {
              onAlert: (alert: Alert) => {
                alerts.router.route(alert).catch(() => undefined);
              },
            }
          : {}),
      })
    : undefined;
  log.info(
    {
      health: h.enabled,
      interval_ms: h.interval_ms,
      volumes: h.volumes,
      alert_channels: channels.map((c) => c.name),
    },
    'host reporting started',
  );
  return {
    async stop() {
      await health?.stop();
      await alerts?.stop();
    },
  };
}

async function openSiteLedger(
  nc: Parameters<typeof openLedger>[0],
  site: string,
  log: Logger,
): Promise<Ledger> {
  // The agent's NATS user may not administer streams: the ledger is the site's, not its own.
  const ledger = await openLedger(nc, { site, log, provision: false });
  try {
    await ledger.store.state();
  } catch (e) {
    await ledger.close();
    if ((e as { name?: string }).name === 'StreamNotFoundError') {
      throw new CliError(
        `site "${site}" has no ledger (no ${STARDUST_STREAM} stream); the agent records every command there, so start the site first`,
      );
    }
    throw e;
  }
  return ledger;
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** The agent on an open connection: ledger, nonces, actions, the served subject, reporting. */
async function startAgent(
  config: Readonly<OmnivaConfig>,
  trusted: TrustedIssuer[],
  nc: Parameters<typeof openLedger>[0],
  pm: ProcessManager,
  log: Logger,
) {
  const ops = opsSlice(config);
  const { site_id, host_id } = config;
  const ledger = await openSiteLedger(nc, site_id, log);
  let service: ReturnType<typeof startOpsAgent> | undefined;
  try {
    const nonces = await KvNonceStore.open(nc, site_id, host_id);
    const client = new SiteClient(nc, site_id, { codec: config.codec, actor: OPS_ACTOR, ledger });
    const actions = siteActions({
      client,
      restartWorker: (args, ctx) => pm.restart(args, ctx.signal),
      drainWorker: (args, ctx) => pm.drain(args, ctx.signal),
      retryStage: retryThroughZenith(client),
    });
    service = startOpsAgent({
      nc,
      site_id,
      host_id,
      trusted,
      roles: ops.roles,
      nonces,
      ledger,
      actions,
      actionTimeoutMs: ops.action_timeout_ms,
      skew_s: ops.skew_s,
      log,
    });
    const reporting = await startHostReporting({ config, ops, nc, log });
    return { service, reporting, ledger };
  } catch (e) {
    service?.stop();
    await ledger.close().catch(() => undefined);
    throw e;
  }
}

/**
 * `omniva ops agent`: this host's Ops Agent, until SIGTERM / SIGINT. Joins the site with the
 * agent's NATS user, keeps nonces in KV and audits in Stardust, and runs the six actions:
 * pause / resume / cancel through the site's channels, retry through Zenith, restart / drain
 * through the process manager. Logs are JSON lines on stdout (the journal under systemd).
 */
export async function runOpsAgent(opts: OpsAgentOptions): Promise<void> {
  const config = loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    overrides: opts.url ? { nats: { url: opts.url } } : {},
  });
  const ops = opsSlice(config);
  const trusted = trustedIssuers(ops, opts.config ?? 'config');
  const site_id = config.site_id;
  const host_id = config.host_id;
  const url = config.nats.url ?? runningEmbeddedUrl(config.data_dir);
  if (!url) {
    throw new CliError(
      `no site server to join: set nats.url (or NATS_URL), or run \`omniva run\` on ${config.data_dir} first`,
    );
  }
  // The data directory is the default health volume; a fresh host may not have it yet.
  mkdirSync(config.data_dir, { recursive: true });
  const log = createLogger({ ...logSlice(config), name: 'ops-agent', destination: 1 });
  const nc = await connectWithConfig(config, url, `omniva-ops-agent-${host_id}`);
  const pm = processManagerOf(config);
  const { service, reporting, ledger } = await startAgent(config, trusted, nc, pm, log).catch(
    async (e) => {
      await nc.close().catch(() => undefined);
      throw e;
    },
  );

  let stopping = false;
  const shutdown = async () => {
    stopping = true;
    await reporting.stop();
    // Stop taking commands; the one running finishes and is answered and audited.
    const drained = service.drain();
    const inTime = await Promise.race([
      drained.then(() => true),
      delay(config.runtime.drain_timeout_ms).then(() => false),
    ]);
    if (!inTime) {
      log.warn({ pending: service.pending }, 'ops command still running at the drain timeout');
      pm.abortAll('the ops agent is stopping');
      await drained;
    }
    await ledger.close();
    await nc.close();
  };
  drainOnSignals(shutdown, log);
  // Lost for good (the client gave up reconnecting): exit non-zero so systemd restarts it.
  nc.closed().then((err) => {
    if (stopping) return;
    log.error({ err }, 'site connection closed; ops agent exiting');
    pm.abortAll('the site connection closed');
    process.exit(1);
  });
  log.info(
    {
      subject: subjects.opsCmd(site_id, host_id),
      url,
      trusted: trusted.length,
      roles: Object.keys(ops.roles),
      process_manager: ops.process.manager,
      action_timeout_ms: ops.action_timeout_ms,
    },
    'ops agent ready',
  );
}
