import {
  type ActorEscalation,
  type Alert,
  type Envelope,
  formatViolation,
  OmnivaError,
  subjects,
  validateContract,
  validateMessage,
} from '../protocols/index.ts';
import {
  type Logger,
  type SignalConnection,
  type SignalMessage,
  type SignalWatch,
  watchSignals,
} from '../runtime/index.ts';
import type { AlertChannel } from './alert-channels.ts';

/**
 * Alert delivery (design §7), independent of the pipeline: a core-NATS subscription (no
 * stream consumer, no actor) hands every alert of the site to a router, which suppresses
 * repeats within a window and sends the rest to its channels (webhook, file, console).
 */

export const DEFAULT_ALERTS = Object.freeze({
  /** Repeats of one alert within this window (ms) are delivered once. */
  windowMs: 300_000,
  /** A channel that has not delivered within this time (ms) has failed, whatever it is doing. */
  deliverTimeoutMs: 60_000,
});

/**
 * What makes two alerts the same: the alert's own `dedupe_key`, or its type, site, host, run
 * and stage.
 */
export function dedupeKey(a: Alert): string {
  if (a.dedupe_key) return a.dedupe_key;
  return [a.type, a.site_id, a.host_id ?? '', a.run_id ?? '', a.stage ?? ''].join('/');
}

export interface AlertRouterOptions {
  channels: readonly AlertChannel[];
  log: Logger;
  /** Default {@link DEFAULT_ALERTS}.windowMs. */
  windowMs?: number;
  /** Default {@link DEFAULT_ALERTS}.deliverTimeoutMs; above a webhook's own retries. */
  deliverTimeoutMs?: number;
  now?: () => number;
}

/** What happened to one alert. */
export interface RouteOutcome {
  /** Absent when the alert was malformed. */
  key?: string;
  delivered: string[];
  /** Channels that already delivered the same alert within the window. */
  suppressed: string[];
  failed: { channel: string; error: string }[];
  malformed?: string;
}

export interface AlertRouterStats {
  received: number;
  malformed: number;
  delivered: Record<string, number>;
  suppressed: Record<string, number>;
  failed: Record<string, number>;
}

export interface AlertRouter {
  /**
   * Validates and delivers one alert to every channel that has not delivered its key within
   * the window. Never throws: failures are in the outcome, the counters and the log.
   */
  route(alert: unknown): Promise<RouteOutcome>;
  /** Counts and logs a message that is not an alert at all (undecodable, wrong type). */
  reject(reason: string, subject?: string): RouteOutcome;
  stats(): AlertRouterStats;
  /** Waits for deliveries in progress. */
  settled(): Promise<void>;
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/**
 * The dedupe is per channel: a channel that failed does not hold the key, so the next repeat
 * within the window still reaches it while the channels that delivered stay quiet. A key is
 * claimed before the delivery starts, so two copies arriving together are delivered once.
 */
export function createAlertRouter(o: AlertRouterOptions): AlertRouter {
  const now = o.now ?? Date.now;
  const windowMs = o.windowMs ?? DEFAULT_ALERTS.windowMs;
  const deliverTimeoutMs = o.deliverTimeoutMs ?? DEFAULT_ALERTS.deliverTimeoutMs;
  const log = o.log.child({ component: 'alerts' });
  const names = o.channels.map((c) => c.name);
  if (new Set(names).size !== names.length) {
    throw new OmnivaError(
      'OMNIVA_ERR_CONFIG_INVALID',
      `alert channel names must be unique: ${names.join(', ')}`,
    );
  }
  /** `<channel>\0<key>` → when the channel took it (or started to). */
  const claims = new Map<string, number>();
  const inflight = new Set<Promise<unknown>>();
  const stats: AlertRouterStats = {
    received: 0,
    malformed: 0,
    delivered: {},
    suppressed: {},
    failed: {},
  };

  const prune = (at: number) => {
    for (const [k, t] of claims) if (at - t >= windowMs) claims.delete(k);
  };

  const reject = (reason: string, subject?: string): RouteOutcome => {
    stats.received++;
    stats.malformed++;
    log.warn({ reason, subject }, 'malformed alert not delivered');
    return { delivered: [], suppressed: [], failed: [], malformed: reason };
  };

  const deliver = async (c: AlertChannel, a: Alert, claim: string, at: number) => {
    let timer: NodeJS.Timeout | undefined;
    // A channel that hangs (a stalled pipe, a file system that never answers) must not hold
    // its claim, or the router's settling, forever.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no outcome within ${deliverTimeoutMs} ms`)),
        deliverTimeoutMs,
      );
    });
    try {
      await Promise.race([c.deliver(a), timeout]);
      bump(stats.delivered, c.name);
      return { ok: true as const };
    } catch (e) {
      // Not delivered: the claim goes, so a repeat within the window tries this channel again.
      if (claims.get(claim) === at) claims.delete(claim);
      bump(stats.failed, c.name);
      const error = String((e as Error)?.message ?? e).slice(0, 500);
      log.error(
        { channel: c.name, alert_id: a.alert_id, type: a.type, error },
        'alert not delivered',
      );
      return { ok: false as const, error };
    } finally {
      clearTimeout(timer);
    }
  };

  const route = async (doc: unknown): Promise<RouteOutcome> => {
    const v = validateContract('Alert', doc);
    if (!v.ok) return reject(`invalid Alert: ${v.violations.map(formatViolation).join('; ')}`);
    stats.received++;
    const a = doc as Alert;
    const key = dedupeKey(a);
    const at = now();
    prune(at);
    const out: RouteOutcome = { key, delivered: [], suppressed: [], failed: [] };
    const work: Promise<void>[] = [];
    for (const c of o.channels) {
      const claim = `${c.name}\u0000${key}`;
      if (claims.has(claim)) {
        out.suppressed.push(c.name);
        bump(stats.suppressed, c.name);
        continue;
      }
      claims.set(claim, at);
      work.push(
        deliver(c, a, claim, at).then((r) => {
          if (r.ok) out.delivered.push(c.name);
          else out.failed.push({ channel: c.name, error: r.error });
        }),
      );
    }
    const all = Promise.all(work);
    inflight.add(all);
    await all.finally(() => inflight.delete(all));
    if (out.delivered.length > 0) {
      log.info({ type: a.type, key, channels: out.delivered }, 'alert delivered');
    }
    return out;
  };

  return {
    route,
    reject,
    stats: () => structuredClone(stats),
    async settled() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}

/** An escalation from the runtime's supervisor (alert.actor_escalation) as an Alert. */
export function escalationAlert(env: Envelope<'ActorEscalation'>): Alert {
  const p: ActorEscalation = env.payload;
  return {
    alert_id: env.msg_id,
    type: 'actor_escalation',
    severity: 'critical',
    site_id: env.site_id,
    host_id: p.host_id,
    stage: p.actor,
    message:
      `${p.actor} (${p.instance_key}) crashed ${p.restarts} times within ${p.period_ms} ms and was escalated: ${p.last_error.code}: ${p.last_error.message}`.slice(
        0,
        2000,
      ),
    raised_at: p.at,
    details: {
      instance_key: p.instance_key.slice(0, 500),
      restarts: p.restarts,
      code: p.last_error.code.slice(0, 500),
    },
  };
}

export interface StartAlertRouterOptions extends AlertRouterOptions {
  nc: SignalConnection;
  site: string;
}

export interface RunningAlertRouter {
  readonly router: AlertRouter;
  /** Stops listening and waits for deliveries in progress. */
  stop(): Promise<void>;
}

/**
 * Listens to `omniva.<site>.alert.>` with a core subscription and routes what arrives: Alert
 * messages as they are, the supervisor's ActorEscalation as an actor_escalation alert.
 * Anything else (undecodable, not an envelope, another type, an invalid payload) is counted
 * as malformed and logged, never delivered.
 */
export function startAlertRouter(o: StartAlertRouterOptions): RunningAlertRouter {
  const router = createAlertRouter(o);
  const log = o.log.child({ component: 'alerts' });
  const onMessage = (m: SignalMessage) => {
    if (m.error) {
      router.reject(m.error.message, m.subject);
      return;
    }
    const v = validateMessage(m.doc, ['Alert', 'ActorEscalation']);
    if (!v.ok) {
      router.reject(v.error.message, m.subject);
      return;
    }
    const env = v.envelope;
    const alert = env.type === 'Alert' ? env.payload : escalationAlert(env);
    router.route(alert).catch((e) => log.error({ err: e }, 'alert routing failed'));
  };
  const watch: SignalWatch = watchSignals(o.nc, subjects.alertAll(o.site), onMessage);
  return {
    router,
    async stop() {
      await watch.drain().catch(() => watch.unsubscribe());
      await router.settled();
    },
  };
}
