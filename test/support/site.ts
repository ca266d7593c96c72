import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import {
  type Codec,
  type ContractName,
  decode,
  type Envelope,
  makeEnvelope,
  subjectMatches,
  subjects,
} from '../../protocols/index.ts';
import {
  ActorHost,
  type ActorKind,
  createLogger,
  type HostDeps,
  type HostHooks,
  type HostOptions,
  provisionSite,
  STREAMS,
} from '../../runtime/index.ts';
import { encodeEnvelope } from '../../runtime/internal/outbound.ts';

export const SITE = 'test';

export const FAST_OPTIONS: HostOptions = {
  ack_wait_ms: 2_000,
  max_deliver: 4,
  backoff_ms: [100, 200, 400],
  max_in_flight: 32,
  dedupe_window: 256,
  restart_intensity: 3,
  restart_period_ms: 60_000,
  escalation_pause_ms: 500,
  drain_timeout_ms: 5_000,
  timer_rescan_ms: 1_000,
  // Off unless a test is about liveness: heartbeats would fill the streams tests read.
  heartbeat_ms: 0,
};

export const silentLog = createLogger({ level: process.env.OMNIVA_TEST_LOG ?? 'silent' });

export async function connectSite(url: string, site = SITE): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  await provisionSite(nc, await jetstreamManager(nc), {
    site,
    duplicateWindowMs: 120_000,
    effectsTtlMs: 3_600_000,
  });
  return nc;
}

export async function startHost(
  nc: NatsConnection,
  kind: ActorKind,
  extra: {
    hooks?: HostHooks;
    authority?: HostDeps['authority'];
    fencing?: HostDeps['fencing'];
    ledger?: HostDeps['ledger'];
    options?: Partial<HostOptions>;
    codec?: Codec;
    hostId?: string;
    site?: string;
  } = {},
): Promise<ActorHost> {
  const host = new ActorHost(
    {
      nc,
      site: extra.site ?? SITE,
      hostId: extra.hostId ?? 'test-host',
      codec: extra.codec ?? 'msgpack',
      log: silentLog,
      options: { ...FAST_OPTIONS, ...extra.options },
      ...(extra.hooks ? { hooks: extra.hooks } : {}),
      ...(extra.authority ? { authority: extra.authority } : {}),
      ...(extra.fencing ? { fencing: extra.fencing } : {}),
      ...(extra.ledger ? { ledger: extra.ledger } : {}),
    },
    kind,
  );
  await host.start();
  return host;
}

/** Publishes a command to `omniva.<site>.cmd.<worker>` the way Zenith does. */
export async function sendCommand(
  nc: NatsConnection,
  worker: string,
  type: ContractName,
  payload: Record<string, unknown>,
  opts: { codec?: Codec; site?: string; msg_id?: string } = {},
): Promise<Envelope> {
  const envelope = makeEnvelope({
    type,
    site_id: opts.site ?? SITE,
    payload,
    actor: 'zenith',
    ...(opts.msg_id ? { msg_id: opts.msg_id } : {}),
  });
  const { data, headers } = encodeEnvelope(envelope, opts.codec ?? 'msgpack');
  await jetstream(nc).publish(subjects.cmd(opts.site ?? SITE, worker), data, {
    headers,
    msgID: envelope.msg_id,
  });
  return envelope;
}

/** Publishes raw bytes to a command subject (for malformed-input tests). */
export async function sendRaw(
  nc: NatsConnection,
  worker: string,
  data: Uint8Array,
  contentType?: string,
): Promise<void> {
  const h = natsHeaders();
  if (contentType) h.set('Content-Type', contentType);
  await jetstream(nc).publish(subjects.cmd(SITE, worker), data, { headers: h });
}

/** Every message currently stored in a stream under `filter`, decoded. */
export async function readStream(
  nc: NatsConnection,
  stream: string,
  filter: string,
): Promise<{ subject: string; envelope: Envelope; headers: Record<string, string> }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: { subject: string; envelope: Envelope; headers: Record<string, string> }[] = [];
  const last = info.state.last_seq;
  for (let seq = info.state.first_seq; seq <= last && last > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (!m || !subjectMatches(filter, m.subject)) continue;
    const headers: Record<string, string> = {};
    for (const [k, v] of m.header ?? []) headers[k] = v.join(',');
    out.push({
      subject: m.subject,
      envelope: decode(m.data, headers['Content-Type']) as Envelope,
      headers,
    });
  }
  return out;
}

export { STREAMS };
