import { createHash, randomUUID } from 'node:crypto';
import { OmnivaError } from '../protocols/index.ts';
import {
  type Logger,
  type OpsService,
  type OpsServiceOptions,
  type StardustPacket,
  serveOps,
} from '../runtime/index.ts';
import type { OpsAction, OpsArgs, OpsCommand } from './command.ts';
import {
  type NonceStore,
  type RefusalReason,
  type TrustedIssuer,
  type Verdict,
  verifyCommand,
} from './verify.ts';

/** What an action is told besides its arguments. */
export interface OpsActionContext {
  command: OpsCommand;
  trace_id: string;
  /** The accepted-command audit packet: effects cite it as their evidence. */
  audit_id: string;
  /** Fires when the action ran out of time; an action should stop what it started. */
  signal: AbortSignal;
}

/** Small facts an action reports back (ids, counts); returned to the sender and audited. */
export type OpsDetail = Record<string, string | number | boolean | null>;

/** The host's effects, one per allow-listed action; an action a host lacks fails cleanly. */
export type OpsActions = {
  [A in OpsAction]?: (args: OpsArgs[A], ctx: OpsActionContext) => Promise<OpsDetail | undefined>;
};

export type OpsStatus = 'succeeded' | 'failed' | 'timeout' | 'refused';

/** The answer on `ops.<host>.result` (schema: opsResultSchema). */
export interface OpsResult {
  site_id: string;
  host_id: string;
  nonce?: string;
  action?: string;
  status: OpsStatus;
  reason?: RefusalReason;
  message?: string;
  error_code?: string;
  detail?: OpsDetail;
  audit_id?: string;
  trace_id?: string;
  at: string;
}

/** The part of the ledger the agent writes to. */
export interface AuditLedger {
  append(input: {
    kind: string;
    ref: string;
    actor: string;
    trace_id: string;
    _meta_parents?: readonly string[];
    entities?: Readonly<Record<string, readonly string[]>>;
    payload?: Readonly<Record<string, unknown>>;
  }): Promise<Pick<StardustPacket, 'stardust_id'>>;
}

export interface OpsAgentOptions {
  site_id: string;
  host_id: string;
  trusted: readonly TrustedIssuer[];
  roles: Readonly<Record<string, readonly OpsAction[]>>;
  nonces: NonceStore;
  ledger: AuditLedger;
  actions: OpsActions;
  /** How long an action may run before the answer is `timeout` (default 30 s). */
  actionTimeoutMs?: number;
  skew_s?: number;
  now?: () => number;
  log: Logger;
}

export interface OpsAgent {
  /** Verifies, audits, runs and answers one command message. Never throws. */
  handle(body: Uint8Array): Promise<OpsResult>;
}

/** The ledger actor name of every audit packet the agent writes. */
export const OPS_ACTOR = 'ops-agent';
const AUDIT_KIND = 'audit';
const decoder = new TextDecoder('utf-8', { fatal: true });

// Audit payloads keep what a refused (possibly hostile) message said, but never much of it.
const clip = (v: unknown, n = 256) =>
  typeof v === 'string' ? v.slice(0, n) : v === undefined ? undefined : String(v).slice(0, n);

function commandFacts(doc: unknown): Record<string, unknown> {
  const c = (doc as { command?: Record<string, unknown> } | undefined)?.command;
  if (typeof c !== 'object' || c === null) return {};
  const args = JSON.stringify(c.args ?? null);
  return {
    site_id: clip(c.site_id),
    host_id: clip(c.host_id),
    action: clip(c.action, 64),
    args: args.length <= 4096 ? c.args : { truncated: true },
    role: clip(c.role, 128),
    issuer: clip(c.issuer, 64),
    nonce: clip(c.nonce, 64),
    issued_at: clip(c.issued_at, 64),
    expires_at: clip(c.expires_at, 64),
  };
}

/**
 * The per-host Ops Agent (design §7): a command is verified, recorded in Stardust as accepted
 * or refused with its reason, and only then run; its outcome is recorded too, citing the
 * decision. An accepted command whose audit cannot be written is not run: an action nobody
 * can account for is worse than an action that did not happen.
 */
export function createOpsAgent(o: OpsAgentOptions): OpsAgent {
  const now = o.now ?? Date.now;
  const timeoutMs = o.actionTimeoutMs ?? 30_000;
  const log = o.log.child({ component: 'ops-agent', host_id: o.host_id });
  const base = () => ({
    site_id: o.site_id,
    host_id: o.host_id,
    at: new Date(now()).toISOString(),
  });
  const refId = (nonce: string) =>
    `ops-${createHash('sha256').update(`${o.site_id}/${o.host_id}/${nonce}`).digest('hex').slice(0, 32)}`;

  const audit = (
    ref: string,
    trace_id: string,
    payload: Record<string, unknown>,
    entities: Record<string, string[]>,
    parents: string[] = [],
  ) =>
    o.ledger.append({
      kind: AUDIT_KIND,
      ref,
      actor: OPS_ACTOR,
      trace_id,
      _meta_parents: parents,
      entities: { host: [o.host_id], ...entities },
      payload,
    });

  const refused = async (
    doc: unknown,
    verdict: Extract<Verdict, { ok: false }>,
    trace_id: string,
  ): Promise<OpsResult> => {
    const facts = commandFacts(doc);
    log.warn({ reason: verdict.reason, action: facts.action, trace_id }, 'ops command refused');
    const result: OpsResult = {
      ...base(),
      status: 'refused',
      reason: verdict.reason,
      message: verdict.message.slice(0, 1000),
      trace_id,
      ...(typeof facts.nonce === 'string' ? { nonce: facts.nonce } : {}),
      ...(typeof facts.action === 'string' ? { action: facts.action } : {}),
    };
    try {
      // A refusal has no trustworthy id of its own (a replay repeats the nonce): a fresh ref.
      const packet = await audit(
        `ops-refused-${randomUUID()}`,
        trace_id,
        {
          type: 'OpsAudit',
          decision: 'refused',
          reason: verdict.reason,
          message: result.message,
          ...facts,
        },
        {},
      );
      result.audit_id = packet.stardust_id;
    } catch (e) {
      log.error({ err: e, reason: verdict.reason }, 'ops refusal not recorded in stardust');
    }
    return result;
  };

  const run = async (cmd: OpsCommand, ctx: Omit<OpsActionContext, 'signal'>) => {
    const action = o.actions[cmd.action] as
      | ((args: unknown, ctx: OpsActionContext) => Promise<OpsDetail | undefined>)
      | undefined;
    if (!action) {
      throw new OmnivaError(
        'OMNIVA_ERR_EFFECT_FAILED',
        `this host cannot ${cmd.action}`,
        undefined,
        {
          retryable: false,
        },
      );
    }
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        abort.abort('timeout');
        resolve('timeout');
      }, timeoutMs);
    });
    try {
      return await Promise.race([action(cmd.args, { ...ctx, signal: abort.signal }), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  const accepted = async (cmd: OpsCommand, trace_id: string): Promise<OpsResult> => {
    const ref = refId(cmd.nonce);
    const entities = entitiesOf(cmd);
    const head = { ...base(), nonce: cmd.nonce, action: cmd.action, trace_id };
    let decision: string;
    try {
      const packet = await audit(
        ref,
        trace_id,
        { type: 'OpsAudit', decision: 'accepted', ...commandFacts({ command: cmd }) },
        entities,
      );
      decision = packet.stardust_id;
    } catch (e) {
      log.error({ err: e, action: cmd.action }, 'ops command not run: audit not recorded');
      return {
        ...head,
        status: 'failed',
        error_code: OmnivaError.is(e) ? e.code : 'OMNIVA_ERR_STARDUST_UNAVAILABLE',
        message: 'the command was not run: its audit record could not be written',
      };
    }
    log.info({ action: cmd.action, role: cmd.role, trace_id }, 'ops command accepted');
    let result: OpsResult;
    try {
      const out = await run(cmd, { command: cmd, trace_id, audit_id: decision });
      result =
        out === 'timeout'
          ? { ...head, status: 'timeout', message: `no outcome within ${timeoutMs} ms` }
          : { ...head, status: 'succeeded', ...(out ? { detail: out } : {}) };
    } catch (e) {
      const error = e as { code?: unknown; message?: unknown };
      result = {
        ...head,
        status: 'failed',
        error_code: typeof error.code === 'string' ? error.code : 'OMNIVA_ERR_EFFECT_FAILED',
        message: String(error.message ?? e).slice(0, 1000),
      };
    }
    result.audit_id = decision;
    try {
      await audit(
        `${ref}-result`,
        trace_id,
        {
          type: 'OpsOutcome',
          action: cmd.action,
          status: result.status,
          ...(result.detail ? { detail: result.detail } : {}),
          ...(result.error_code ? { error_code: result.error_code } : {}),
          ...(result.message ? { message: result.message } : {}),
        },
        entities,
        [decision],
      );
    } catch (e) {
      log.error({ err: e, action: cmd.action }, 'ops outcome not recorded in stardust');
    }
    return result;
  };

  return {
    async handle(body) {
      const trace_id = randomUUID();
      let doc: unknown;
      try {
        doc = JSON.parse(decoder.decode(body));
      } catch {
        return refused(
          undefined,
          { ok: false, reason: 'malformed', message: 'not JSON' },
          trace_id,
        );
      }
      try {
        const verdict = await verifyCommand(doc, {
          trusted: o.trusted,
          site_id: o.site_id,
          host_id: o.host_id,
          now: now(),
          seen: o.nonces,
          roles: o.roles,
          ...(o.skew_s === undefined ? {} : { skew_s: o.skew_s }),
        });
        return verdict.ok
          ? await accepted(verdict.command, trace_id)
          : await refused(doc, verdict, trace_id);
      } catch (e) {
        // The nonce store could not be reached: nothing ran, say so.
        log.error({ err: e }, 'ops command could not be verified');
        return {
          ...base(),
          status: 'failed',
          error_code: OmnivaError.is(e) ? e.code : 'OMNIVA_ERR_EFFECT_FAILED',
          message: 'the command could not be verified; nothing was run',
          trace_id,
        };
      }
    },
  };
}

function entitiesOf(cmd: OpsCommand): Record<string, string[]> {
  const a = cmd.args as unknown as Record<string, unknown>;
  const out: Record<string, string[]> = {};
  if (typeof a.run_id === 'string') out.run = [a.run_id];
  if (typeof a.worker === 'string') out.worker = [a.worker];
  if (typeof a.queue === 'string') out.queue = [a.queue];
  return out;
}

/** The agent on a site connection: {@link createOpsAgent} served by the runtime's serveOps. */
export function startOpsAgent(o: OpsAgentOptions & { nc: OpsServiceOptions['nc'] }): OpsService {
  const agent = createOpsAgent(o);
  return serveOps({
    nc: o.nc,
    site: o.site_id,
    host: o.host_id,
    handle: (b) => agent.handle(b),
    log: o.log,
  });
}
