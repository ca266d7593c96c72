import { subjects } from '../protocols/index.ts';
import { EPOCH_BUCKET } from '../runtime/fencing.ts';
import { LEASE_BUCKET } from '../runtime/lease.ts';
import { MEDIA_INBOX_BUCKET } from '../runtime/media/promote.ts';
import { OPS_NONCE_BUCKET } from '../runtime/ops-nonces.ts';
import { BUCKETS, STREAMS } from '../runtime/provision.ts';

/**
 * One NATS user per role (design §5). What each may touch, and why, is decided here; the
 * renderer only prints it. Everything is an allow list: a subject not named is refused.
 *
 * The lock that matters: only `zenith` may put anything on `omniva.<site>.cmd.>`. Denying the
 * publish is not enough on its own, because a user allowed to administer streams could make
 * the server write there for it — a stream whose `republish` points at a cmd subject, or a
 * source with a subject transform, lands in OMNIVA_CMD as if Zenith had sent it (verified on
 * 2.10). So only `zenith` gets the stream-administration API; the other roles get the read,
 * consume and ack subjects of the streams they use, by name.
 *
 * What this does not lock (tested in test/zenith/site-permissions.test.ts, documented there):
 * - A request's reply subject is not permission-checked. A worker that sends any JetStream
 *   request (a publish, an API call) with reply `omniva.<site>.cmd.x` makes the server write
 *   its own answer (a PubAck or API JSON, no Omniva headers) into OMNIVA_CMD, and a pull
 *   request with such a reply makes the server deliver stream messages there — stored under
 *   their original, non-cmd subject, so no cmd consumer ever receives them. Neither carries a
 *   valid envelope or epoch; receivers refuse them (schema check, EpochGuard).
 * - `allow_responses` is never used: it overrides a publish deny, so a requester could make
 *   a responder write to a cmd subject. Responders publish to `_INBOX.>` instead, and a zenith
 *   rpc responder must only answer `_INBOX.` reply subjects (it may publish to cmd).
 * - Replicas of one role share a user: a worker can ack, nak or read another worker's
 *   commands, write any snapshot, or raise an epoch record (denial of service, not forgery).
 * - `_INBOX.>` is shared, so a role can read replies meant for others on the same server.
 */
export const SITE_ROLES = ['zenith', 'worker', 'agent', 'observer', 'control'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];

export interface SubjectRules {
  allow: string[];
  deny: string[];
}

export interface RolePermissions {
  publish: SubjectRules;
  subscribe: SubjectRules;
}

/** The ledger stream (design §6); named here so permissions need not import the appender. */
export const STARDUST_STREAM = 'STARDUST';

/** Stream administration: whoever holds these can make the server write into any stream. */
const STREAM_ADMIN = [
  'STREAM.CREATE.>',
  'STREAM.UPDATE.>',
  'STREAM.DELETE.>',
  'STREAM.PURGE.>',
  'STREAM.MSG.DELETE.>',
  'STREAM.SNAPSHOT.>',
  'STREAM.RESTORE.>',
  'STREAM.PEER.>',
  'STREAM.LEADER.>',
  'ACCOUNT.>',
  'META.>',
  'SERVER.>',
];

/** JetStream API subjects, unprefixed: site clients talk to their own domain's API. */
const api = (...tails: string[]) => tails.map((t) => `$JS.API.${t}`);

const jsBase = () => api('INFO', 'STREAM.NAMES', 'STREAM.LIST');

/** Reading a stream's state and messages. */
const jsRead = (stream: string) =>
  api(
    `STREAM.INFO.${stream}`,
    `STREAM.MSG.GET.${stream}`,
    `DIRECT.GET.${stream}`,
    `DIRECT.GET.${stream}.>`,
  );

/** Creating, using and acking consumers (durable or ordered) on a stream. */
const jsConsume = (stream: string, opts: { deleteConsumers?: boolean } = {}) => [
  ...jsRead(stream),
  ...api(
    `CONSUMER.CREATE.${stream}`,
    `CONSUMER.CREATE.${stream}.>`,
    `CONSUMER.DURABLE.CREATE.${stream}.*`,
    `CONSUMER.INFO.${stream}.*`,
    `CONSUMER.MSG.NEXT.${stream}.*`,
    `CONSUMER.NAMES.${stream}`,
    `CONSUMER.LIST.${stream}`,
    ...(opts.deleteConsumers ? [`CONSUMER.DELETE.${stream}.*`] : []),
  ),
  `$JS.ACK.${stream}.>`,
  `$JS.FC.${stream}.>`,
];

/** A KV bucket: reads and watches (ordered consumers, deleted when done). */
const kvRead = (bucket: string) => jsConsume(`KV_${bucket}`, { deleteConsumers: true });
const kvWrite = (bucket: string) => [...kvRead(bucket), `$KV.${bucket}.>`];

const unique = (xs: string[]) => [...new Set(xs)];

/** A wildcard below the site's root for kinds without a builder; `subjects.all` checks the site. */
const under = (site: string, rest: string) => subjects.all(site).replace(/>$/, rest);

/** The permissions of one role at one site. */
export function rolePermissions(site: string, role: SiteRole): RolePermissions {
  const s = {
    cmd: subjects.cmdAll(site),
    evt: subjects.evtAll(site),
    adv: subjects.advAll(site),
    alert: subjects.alertAll(site),
    stardust: subjects.stardustAll(site),
    dlq: subjects.dlqAll(site),
    hb: subjects.hbAll(site),
    rpc: under(site, 'rpc.>'),
    opsCmd: under(site, 'ops.*.cmd'),
    opsResult: under(site, 'ops.*.result'),
    opsAdv: under(site, 'adv.ops.>'),
    rpcCancel: under(site, 'rpc.*.cancel'),
  };
  // Nobody subscribes to commands at the core level: workers pull them through consumers.
  // Keeping every subscription off cmd subjects also means a push consumer aimed at one
  // never finds the interest it needs to deliver.
  const noCmdInterest = [s.cmd];
  const forbidden = [s.cmd, `$KV.${LEASE_BUCKET}.>`, ...api(...STREAM_ADMIN)];
  const runtimeKv = [BUCKETS.snapshots, BUCKETS.effects, EPOCH_BUCKET];
  // What an actor host needs: its results, dead letters, alerts, ledger, heartbeats, rpc.
  const actorPublish = [
    s.evt,
    s.adv,
    s.alert,
    s.dlq,
    s.stardust,
    s.hb,
    s.rpc,
    '_INBOX.>',
    ...jsBase(),
    ...jsConsume(STREAMS.cmd),
    ...jsConsume(STREAMS.evt),
    ...jsRead(STREAMS.dlq),
    // The ledger's lineage index follows the stream with ordered consumers.
    ...jsConsume(STARDUST_STREAM, { deleteConsumers: true }),
    ...runtimeKv.flatMap(kvWrite),
    ...kvRead(LEASE_BUCKET),
  ];
  // Media promoted from other sites: a source host writes the target's inbox, the target
  // host reads it (runtime/media/promote.ts). Objects are only added, never purged.
  const mediaInbox = [
    `$O.${MEDIA_INBOX_BUCKET}.>`,
    ...jsConsume(`OBJ_${MEDIA_INBOX_BUCKET}`, { deleteConsumers: true }),
  ];
  const watch = [s.evt, s.adv, s.alert, s.stardust, s.dlq, s.hb, s.opsResult];

  switch (role) {
    case 'zenith':
      return {
        publish: {
          allow: [
            s.cmd,
            s.evt,
            s.adv,
            s.alert,
            s.dlq,
            s.stardust,
            s.hb,
            s.rpc,
            '_INBOX.>',
            // The authority also provisions: streams, consumers and every bucket.
            '$JS.API.>',
            '$JS.ACK.>',
            '$JS.FC.>',
            '$KV.>',
          ],
          deny: [],
        },
        subscribe: { allow: ['_INBOX.>', s.rpc, ...watch], deny: noCmdInterest },
      };
    case 'worker':
      return {
        publish: { allow: unique([...actorPublish, ...mediaInbox]), deny: forbidden },
        subscribe: {
          allow: unique(['_INBOX.>', s.rpc, s.evt, s.adv, s.alert]),
          deny: noCmdInterest,
        },
      };
    case 'agent':
      // The per-host ops agent: takes signed operator commands, reports results, health and
      // audit packets, and fences operator commands with its own EpochGuard. It listens to
      // heartbeats (its host's workers, for the health report) and alerts (to deliver them
      // by webhook and file) with core subscriptions, which need no stream access.
      return {
        publish: {
          allow: unique([
            s.opsResult,
            s.hb,
            s.alert,
            s.stardust,
            '_INBOX.>',
            ...jsBase(),
            ...jsConsume(STARDUST_STREAM, { deleteConsumers: true }),
            ...kvWrite(EPOCH_BUCKET),
            ...kvRead(LEASE_BUCKET),
            // Single-use nonces of accepted commands; operator input relayed to Zenith
            // (QueueDirective, RecoveryPlan) on the agents' own advisory subjects; a run's
            // cancel request to the host running it.
            ...kvWrite(OPS_NONCE_BUCKET),
            s.opsAdv,
            s.rpcCancel,
          ]),
          deny: forbidden,
        },
        subscribe: { allow: ['_INBOX.>', s.opsCmd, s.hb, s.alert], deny: noCmdInterest },
      };
    case 'observer':
      // Dashboards and people with the nats CLI: they watch, nothing else.
      return {
        publish: { allow: [], deny: ['>'] },
        subscribe: { allow: watch, deny: noCmdInterest },
      };
    case 'control':
      // The control plane: signs operator commands for agents, queries actors, reads the
      // streams. Manual overrides go through Zenith (design §5), never straight to cmd.
      return {
        publish: {
          allow: unique([
            s.opsCmd,
            s.rpc,
            '_INBOX.>',
            ...jsBase(),
            ...[STREAMS.cmd, STREAMS.evt, STREAMS.dlq, STARDUST_STREAM].flatMap(jsRead),
            ...[BUCKETS.snapshots, LEASE_BUCKET, EPOCH_BUCKET].flatMap((b) =>
              api(`STREAM.INFO.KV_${b}`, `DIRECT.GET.KV_${b}.>`),
            ),
          ]),
          deny: forbidden,
        },
        subscribe: { allow: unique(['_INBOX.>', ...watch]), deny: noCmdInterest },
      };
  }
}
