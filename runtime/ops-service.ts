import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { CONTENT_TYPES, HEADERS, OmnivaError, subjects } from '../protocols/index.ts';
import type { Logger } from './logger.ts';
import { headersOf } from './nats-headers.ts';

export {
  DEFAULT_OPS_NONCE_TTL_MS,
  KvNonceStore,
  OPS_NONCE_BUCKET,
  opsNonceKey,
  provisionOpsNonces,
} from './ops-nonces.ts';

/** What an agent does with one command message; it answers every one, never throws for one. */
export type OpsHandler = (body: Uint8Array) => Promise<object>;

export interface OpsServiceOptions {
  nc: NatsConnection;
  site: string;
  host: string;
  handle: OpsHandler;
  log: Logger;
}

export interface OpsService {
  /** Commands received and not answered yet. */
  readonly pending: number;
  /** Stops taking commands and waits until the ones received are answered. */
  drain(): Promise<void>;
  /** Stops taking commands; the one running still finishes and answers. */
  stop(): void;
}

const encoder = new TextEncoder();

function jsonHeaders(type: string, site: string) {
  return headersOf({
    [HEADERS.contentType]: CONTENT_TYPES.json,
    [HEADERS.type]: type,
    [HEADERS.site]: site,
  });
}

/**
 * The Ops Agent's NATS side (design §3: `omniva.<site>.ops.<host>.cmd` / `.result`). Commands
 * are handled one at a time in arrival order: an operator's "pause" then "resume" must not
 * swap, and one nonce claim at a time keeps the audit order equal to the decision order.
 * Every answer goes to the result subject (for dashboards and audits that listen) and, when
 * the sender asked with a reply inbox, to the sender too. Bodies are JSON, not envelopes: the
 * signature covers the command's own canonical bytes.
 */
export function serveOps(o: OpsServiceOptions): OpsService {
  const log = o.log.child({ component: 'ops-service', host_id: o.host });
  const resultSubject = subjects.opsResult(o.site, o.host);
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;

  const answer = async (msg: Msg) => {
    let result: object;
    try {
      result = await o.handle(msg.data);
    } catch (e) {
      // A handler bug still owes the sender an answer rather than silence.
      log.error({ err: e }, 'ops command handler failed');
      result = {
        site_id: o.site,
        host_id: o.host,
        status: 'failed',
        error_code: OmnivaError.is(e) ? e.code : 'OMNIVA_ERR_ACTOR_FAILED',
        message: 'the agent failed while handling the command',
        at: new Date().toISOString(),
      };
    }
    const data = encoder.encode(JSON.stringify(result));
    const headers = jsonHeaders('OpsResult', o.site);
    o.nc.publish(resultSubject, data, { headers });
    if (msg.reply) msg.respond(data, { headers });
  };

  const sub: Subscription = o.nc.subscribe(subjects.opsCmd(o.site, o.host), {
    callback: (err, msg) => {
      if (err) return;
      pending++;
      queue = queue
        .then(() => answer(msg))
        .catch((e) => log.error({ err: e }, 'ops answer not sent'))
        .finally(() => {
          pending--;
        });
    },
  });

  return {
    get pending() {
      return pending;
    },
    async drain() {
      if (!sub.isClosed()) await sub.drain();
      await queue;
    },
    stop() {
      sub.unsubscribe();
    },
  };
}

export interface SendOpsOptions {
  url: string;
  site: string;
  host: string;
  /** The signed command as JSON text, sent as is so its bytes are what was signed. */
  body: string;
  timeoutMs?: number;
  user?: string;
  pass?: string;
}

/**
 * The control plane's side: sends one signed command and returns the agent's result
 * document. No answer in time is OMNIVA_ERR_TIMEOUT (the agent may be down, or busy).
 */
export async function sendOpsCommand(o: SendOpsOptions): Promise<Record<string, unknown>> {
  const nc = await connect({
    servers: o.url,
    name: 'omniva-ops-cli',
    noAsyncTraces: true,
    ...(o.user ? { user: o.user, pass: o.pass ?? '' } : {}),
  });
  try {
    const timeout = o.timeoutMs ?? 30_000;
    const reply = await nc
      .request(subjects.opsCmd(o.site, o.host), encoder.encode(o.body), {
        timeout,
        headers: jsonHeaders('OpsCommand', o.site),
      })
      .catch((e) => {
        throw new OmnivaError(
          'OMNIVA_ERR_TIMEOUT',
          `no answer from the ops agent of ${o.site}/${o.host} within ${timeout} ms`,
          undefined,
          { cause: e },
        );
      });
    return JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
  } finally {
    await nc.close();
  }
}
