import { randomUUID } from 'node:crypto';
import { readFile, statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import {
  type Alert,
  type Codec,
  formatViolation,
  type HostHealth,
  makeEnvelope,
  subjects,
  validateContract,
} from '../protocols/index.ts';
import {
  type Logger,
  publishSignal,
  type SignalConnection,
  type SignalWatch,
  watchSignals,
} from '../runtime/index.ts';

/**
 * Host health (design §7): the Ops Agent samples its host every few seconds — load, memory,
 * disks, the heartbeats of the workers on the host — judges it healthy or degraded, and
 * publishes a HostHealth on `omniva.<site>.hb.<host>`. Eclipse turns silence into `offline`;
 * the agent itself only ever says healthy or degraded.
 */

/** When a host stops being healthy. Every limit is a plain number, documented with its unit. */
export interface HealthThresholds {
  /** 1-minute load average per CPU above which the host is degraded. */
  maxLoadPerCpu: number;
  /** Available memory below this percentage of the total degrades the host. */
  minMemoryAvailablePct: number;
  /** A volume with less free space than this percentage degrades the host. */
  minDiskFreePct: number;
  /** A volume with less free space than this percentage is full: a disk_full alert. */
  diskFullPct: number;
  /** A local worker whose last heartbeat is older than this (ms) degrades the host. */
  workerGapMs: number;
}

export const DEFAULT_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({
  maxLoadPerCpu: 2,
  minMemoryAvailablePct: 10,
  minDiskFreePct: 10,
  diskFullPct: 5,
  workerGapMs: 15_000,
});

/** The reporter's defaults: every 5 s, the root volume, and the thresholds above. */
export const DEFAULT_HEALTH = Object.freeze({
  intervalMs: 5_000,
  volumes: Object.freeze(['/']) as readonly string[],
  thresholds: DEFAULT_THRESHOLDS,
  /** A worker silent this long (ms) is forgotten: it was stopped on purpose or moved. */
  forgetWorkerAfterMs: 600_000,
  /** Reports are JSON so `nats sub` shows them as they are. */
  codec: 'json' as Codec,
});

/** What the host looks like at one instant, before any judgement. */
export interface HostSample {
  load_1m: number;
  load_5m: number;
  cpus: number;
  memory: HostHealth['memory'];
  disks: HostHealth['disks'];
  /** Configured volumes that could not be read, with the error. */
  unreadable: { path: string; error: string }[];
}

export type WorkerReport = HostHealth['workers'][number];

const pct = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 100);
const fixed = (x: number, digits = 2) => Number(x.toFixed(digits));

/** The volumes below the full threshold (a disk_full alert each). */
export function fullVolumes(
  sample: Pick<HostSample, 'disks'>,
  t: Pick<HealthThresholds, 'diskFullPct'>,
): HostHealth['disks'] {
  return sample.disks.filter(
    (d) => d.total_bytes > 0 && pct(d.free_bytes, d.total_bytes) < t.diskFullPct,
  );
}

/**
 * Judges a sample: degraded with one reason per limit crossed, healthy otherwise. Pure, so
 * the thresholds are tested without a loaded machine.
 */
export function assess(
  sample: HostSample,
  workers: readonly WorkerReport[],
  t: HealthThresholds,
): { state: 'healthy' | 'degraded'; reasons: string[] } {
  const reasons: string[] = [];
  const perCpu = sample.load_1m / Math.max(1, sample.cpus);
  if (perCpu > t.maxLoadPerCpu) {
    reasons.push(`load ${fixed(perCpu)} per cpu is above ${t.maxLoadPerCpu}`);
  }
  const memPct = pct(sample.memory.available_bytes, sample.memory.total_bytes);
  if (memPct < t.minMemoryAvailablePct) {
    reasons.push(`memory available ${fixed(memPct, 1)}% is below ${t.minMemoryAvailablePct}%`);
  }
  for (const d of sample.disks) {
    const free = pct(d.free_bytes, d.total_bytes);
    if (d.total_bytes > 0 && free < t.minDiskFreePct) {
      reasons.push(`volume ${d.path} has ${fixed(free, 1)}% free, below ${t.minDiskFreePct}%`);
    }
  }
  for (const u of sample.unreadable) reasons.push(`volume ${u.path} unreadable: ${u.error}`);
  for (const w of workers) {
    if (w.last_seen_s * 1000 > t.workerGapMs) {
      reasons.push(`worker ${w.actor}/${w.instance_id} silent for ${Math.round(w.last_seen_s)} s`);
    }
  }
  return {
    state: reasons.length > 0 ? 'degraded' : 'healthy',
    reasons: reasons.map((r) => r.slice(0, 500)),
  };
}

/** MemAvailable (bytes) from the text of /proc/meminfo, or undefined when it is not there. */
export function parseMemAvailable(meminfo: string): number | undefined {
  const m = /^MemAvailable:\s+(\d+)\s*kB$/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Samples this host: load averages, CPUs, memory (MemAvailable when Linux has it), volumes. */
export async function sampleHost(
  volumes: readonly string[],
  opts: { meminfoPath?: string } = {},
): Promise<HostSample> {
  const [load_1m = 0, load_5m = 0] = loadavg();
  const total = totalmem();
  const meminfo = await readFile(opts.meminfoPath ?? '/proc/meminfo', 'utf8').catch(() => '');
  const available = Math.min(total, parseMemAvailable(meminfo) ?? freemem());
  const disks: HostHealth['disks'] = [];
  const unreadable: HostSample['unreadable'] = [];
  for (const path of volumes) {
    try {
      const s = await statfs(path);
      disks.push({ path, total_bytes: s.blocks * s.bsize, free_bytes: s.bavail * s.bsize });
    } catch (e) {
      unreadable.push({ path, error: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
  }
  return {
    load_1m: fixed(load_1m),
    load_5m: fixed(load_5m),
    cpus: Math.max(1, cpus().length),
    memory: { total_bytes: total, available_bytes: available },
    disks,
    unreadable,
  };
}

export interface HealthReporterOptions {
  nc: SignalConnection;
  site: string;
  host: string;
  log: Logger;
  /** Volumes to watch (default `['/']`). */
  volumes?: readonly string[];
  /** Reporting period in ms (default 5000). */
  intervalMs?: number;
  /** Overrides of {@link DEFAULT_THRESHOLDS}. */
  thresholds?: Partial<HealthThresholds>;
  /** How long a silent worker stays in the report (default 10 min). */
  forgetWorkerAfterMs?: number;
  codec?: Codec;
  /**
   * Local alerts (disk_full) are also handed here, e.g. to an AlertRouter's `route`, so they
   * reach their channels even when NATS does not.
   */
  onAlert?: (alert: Alert) => void;
  now?: () => number;
}

export interface HealthReporter {
  /** The last report published, if any. */
  readonly last: HostHealth | undefined;
  /** Samples, publishes and returns one report now (the timer keeps its own pace). */
  report(): Promise<HostHealth>;
  /** Stops reporting and listening; waits for a report in progress. */
  stop(): Promise<void>;
}

const ACTOR = 'ops-agent';

/**
 * Reports this host's health every `intervalMs` on `omniva.<site>.hb.<host>`, starting now.
 * It listens on the same subject for the Heartbeats of the workers on this host. A volume
 * that crosses below the full threshold raises one disk_full alert (again only after it
 * recovered and crossed again); repeats within a window are the router's to suppress.
 */
export function startHealthReporter(o: HealthReporterOptions): HealthReporter {
  const now = o.now ?? Date.now;
  const t: HealthThresholds = { ...DEFAULT_THRESHOLDS, ...o.thresholds };
  const intervalMs = o.intervalMs ?? DEFAULT_HEALTH.intervalMs;
  const volumes = o.volumes ?? DEFAULT_HEALTH.volumes;
  const forgetMs = o.forgetWorkerAfterMs ?? DEFAULT_HEALTH.forgetWorkerAfterMs;
  const codec = o.codec ?? DEFAULT_HEALTH.codec;
  const log = o.log.child({ component: 'health', host_id: o.host });
  const subject = subjects.hb(o.site, o.host);
  const seen = new Map<string, { actor: string; instance_id: string; state: string; at: number }>();
  const full = new Set<string>();
  let last: HostHealth | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<HostHealth> | undefined;

  const watch: SignalWatch = watchSignals(o.nc, subject, (m) => {
    if (m.type !== 'Heartbeat' || m.error) return;
    const p = (m.doc as { payload?: Record<string, unknown> }).payload;
    if (!p || p.host_id !== o.host) return;
    const { actor, instance_id, state } = p;
    if (typeof actor !== 'string' || typeof instance_id !== 'string') return;
    seen.set(`${actor}/${instance_id}`, {
      actor,
      instance_id,
      state: typeof state === 'string' ? state : 'healthy',
      at: now(),
    });
  });

  const workers = (at: number): WorkerReport[] => {
    const out: WorkerReport[] = [];
    for (const [key, w] of seen) {
      const age = at - w.at;
      if (age > forgetMs) {
        seen.delete(key);
        continue;
      }
      const state =
        age > t.workerGapMs
          ? 'offline'
          : w.state === 'degraded' || w.state === 'offline'
            ? w.state
            : 'healthy';
      out.push({
        actor: w.actor,
        instance_id: w.instance_id,
        last_seen_s: fixed(age / 1000, 1),
        state,
      });
    }
    return out;
  };

  const publish = (type: 'HostHealth' | 'Alert', subj: string, payload: HostHealth | Alert) => {
    const v = validateContract(type, payload);
    if (!v.ok) {
      log.error({ violations: v.violations.map(formatViolation) }, 'health message not valid');
      return false;
    }
    try {
      const envelope = makeEnvelope({ type, site_id: o.site, actor: ACTOR, payload });
      publishSignal(o.nc, subj, envelope, codec);
    } catch (e) {
      log.warn({ err: e, subject: subj }, 'health message not published');
    }
    return true;
  };

  const raiseFull = (d: HostHealth['disks'][number], at: number) => {
    const freePct = fixed(pct(d.free_bytes, d.total_bytes), 2);
    const alert: Alert = {
      alert_id: randomUUID(),
      type: 'disk_full',
      severity: 'critical',
      site_id: o.site,
      host_id: o.host,
      message:
        `volume ${d.path} on ${o.host} has ${freePct}% free (${d.free_bytes} of ${d.total_bytes} bytes), below ${t.diskFullPct}%`.slice(
          0,
          2000,
        ),
      raised_at: new Date(at).toISOString(),
      dedupe_key: `disk_full/${o.site}/${o.host}/${d.path}`.slice(0, 256),
      details: { path: d.path.slice(0, 500), free_bytes: d.free_bytes, free_pct: freePct },
    };
    log.warn({ path: d.path, free_pct: freePct }, 'volume full');
    if (!publish('Alert', subjects.alert(o.site, 'disk_full'), alert)) return;
    try {
      o.onAlert?.(alert);
    } catch (e) {
      log.error({ err: e }, 'local alert handler failed');
    }
  };

  const once = async (): Promise<HostHealth> => {
    const sample = await sampleHost(volumes);
    const at = now();
    const ws = workers(at);
    const { state, reasons } = assess(sample, ws, t);
    const health: HostHealth = {
      host_id: o.host,
      site_id: o.site,
      state,
      load_1m: sample.load_1m,
      load_5m: sample.load_5m,
      cpus: sample.cpus,
      memory: sample.memory,
      disks: sample.disks,
      workers: ws,
      reasons,
      sent_at: new Date(at).toISOString(),
      interval_ms: intervalMs,
    };
    if (!stopped) publish('HostHealth', subject, health);
    const nowFull = new Set(fullVolumes(sample, t).map((d) => d.path));
    for (const d of sample.disks) {
      if (nowFull.has(d.path) && !full.has(d.path) && !stopped) raiseFull(d, at);
    }
    full.clear();
    for (const p of nowFull) full.add(p);
    last = health;
    return health;
  };

  const report = () => {
    const run = (running ?? Promise.resolve(last as HostHealth)).then(once, once);
    running = run;
    return run;
  };

  const tick = () => {
    report()
      .catch((e) => log.error({ err: e }, 'health report failed'))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, intervalMs);
        // The agent's connection keeps its process alive; a forgotten reporter must not.
        timer.unref();
      });
  };
  tick();

  return {
    get last() {
      return last;
    },
    report,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      watch.unsubscribe();
      await running?.catch(() => undefined);
    },
  };
}
