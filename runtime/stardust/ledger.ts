import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { OmnivaError } from '../../protocols/index.ts';
import type { Logger } from '../logger.ts';
import { Advisories, ParentAuditor } from './advisory.ts';
import {
  Appender,
  type AppenderOptions,
  type AppenderStats,
  type AppendResult,
} from './appender.ts';
import { type LineageHit, LineageIndex, type LineageNode } from './lineage.ts';
import {
  type AppendInput,
  type PreparedAppend,
  prepareAppend,
  type StardustPacket,
} from './packet.ts';
import { type LedgerStreamOptions, provisionLedger } from './provision.ts';
import { AsyncPublisher } from './publisher.ts';
import { LedgerStore } from './store.ts';
import { type VerifyResult, verifyLedger } from './verify.ts';

export interface LedgerOptions extends AppenderOptions, LedgerStreamOptions {
  log: Logger;
  /** Create or update the STARDUST stream on open (default true). */
  provision?: boolean;
  /** JetStream domain of the site, to reach its ledger from another domain (the hub). */
  domain?: string;
  /** Build the lineage index at open instead of on first use (default false). */
  eagerIndex?: boolean;
  /** The connection's inbox prefix, when it is not `_INBOX` (publish acks come there). */
  inboxPrefix?: string;
}

/** Lineage queries; the first one builds the index from the stream (cold start). */
export interface LineageQueries {
  /** The index, built and following the stream. */
  ready(): Promise<LineageIndex>;
  /** Ready, and caught up with everything stored when called (other writers included). */
  sync(): Promise<LineageIndex>;
  node(id: string): Promise<LineageNode | undefined>;
  parents(id: string): Promise<LineageNode[]>;
  children(id: string): Promise<LineageNode[]>;
  ancestors(id: string): Promise<LineageHit[]>;
  descendants(id: string): Promise<LineageHit[]>;
  byEntity(type: string, id: string): Promise<LineageNode[]>;
}

/**
 * A site's provenance ledger (design §6). Open one per site connection and share it: its
 * appender orders every append of the process into one chain.
 */
export class Ledger {
  readonly site: string;
  readonly store: LedgerStore;
  readonly lineage: LineageQueries;
  readonly #appender: Appender;
  readonly #index = new LineageIndex();
  readonly #advisories: Advisories;
  readonly #auditor: ParentAuditor;
  readonly #log: Logger;
  readonly #publisher: AsyncPublisher;
  #closed = false;
  #stopped = false;

  constructor(nc: NatsConnection, store: LedgerStore, o: LedgerOptions) {
    this.site = o.site;
    this.store = store;
    this.#log = o.log.child({ component: 'stardust' });
    this.#advisories = new Advisories(nc, o.site, this.#log);
    const index = this.#index;
    const ready = async () => {
      // A follower started after close would never be stopped.
      if (this.#stopped) {
        throw new OmnivaError('OMNIVA_ERR_STARDUST_UNAVAILABLE', 'the ledger is closed');
      }
      await index.start(store, this.#log);
      return index;
    };
    this.#auditor = new ParentAuditor(
      this.#index,
      async () => {
        await ready();
      },
      this.#advisories,
      this.#log,
    );
    this.#publisher = new AsyncPublisher(nc, o.inboxPrefix);
    this.#appender = new Appender(
      o.site,
      {
        store,
        publisher: this.#publisher,
        log: this.#log,
        onStored: (packet, seq) => {
          // An index not built yet will read the packet from the stream when it is.
          if (this.#index.started) this.#index.add(packet, seq);
          this.#auditor.check(packet, seq);
        },
        onRefused: (input, error, entry) =>
          this.#advisories.publish({
            reason_code: error.code,
            reason: error.message,
            kind: input.kind,
            ref: input.ref,
            actor: input.actor,
            trace_id: input.trace_id,
            ...(entry ? { seq: entry.seq } : {}),
          }),
      },
      o,
    );
    const sync = async () => {
      await ready();
      const { last } = await store.state();
      await index.waitForSeq(last);
      return index;
    };
    const query = async <T>(f: (i: LineageIndex) => T): Promise<T> => f(await ready());
    this.lineage = {
      ready: () => query((i) => i),
      sync,
      node: (id) => query((i) => i.node(id)),
      parents: (id) => query((i) => i.parents(id)),
      children: (id) => query((i) => i.children(id)),
      ancestors: (id) => query((i) => i.ancestors(id)),
      descendants: (id) => query((i) => i.descendants(id)),
      byEntity: (type, id) => query((i) => i.byEntity(type, id)),
    };
  }

  /** Records one packet and returns it (or the packet already recorded for kind + ref). */
  async append(input: AppendInput): Promise<StardustPacket> {
    return (await this.record(input)).packet;
  }

  /** As {@link append}, with the stream sequence and whether kind + ref already existed. */
  record(input: AppendInput): Promise<AppendResult> {
    if (this.#closed) {
      return Promise.reject(
        new OmnivaError('OMNIVA_ERR_STARDUST_UNAVAILABLE', 'the ledger is closed'),
      );
    }
    let prepared: PreparedAppend;
    try {
      prepared = prepareAppend(this.site, input, new Date());
    } catch (e) {
      const error = e as OmnivaError;
      this.#advisories.publish({
        reason_code: error.code,
        reason: error.message,
        kind: input?.kind,
        ref: input?.ref,
        actor: input?.actor,
        trace_id: input?.trace_id,
        ...(error.info?.violations ? { violations: [...error.info.violations] } : {}),
      });
      return Promise.reject(error);
    }
    return this.#appender.append(prepared);
  }

  /** The packet with this id, read from the stream (the index tells where it is). */
  async get(id: string): Promise<StardustPacket | undefined> {
    const node = await this.lineage.node(id);
    if (!node) return undefined;
    const e = await this.store.bySeq(node.seq);
    return e?.parsed.ok && e.parsed.packet.stardust_id === id ? e.parsed.packet : undefined;
  }

  /** The packet recorded for kind + ref, straight from the stream (no index needed). */
  async getByRef(kind: string, ref: string): Promise<StardustPacket | undefined> {
    const e = await this.store.byRef(kind, ref);
    return e?.parsed.ok ? e.parsed.packet : undefined;
  }

  verify(): Promise<VerifyResult> {
    return verifyLedger(this.store);
  }

  get stats(): Readonly<AppenderStats> {
    return this.#appender.stats;
  }

  /** Appends queued or in flight. */
  get pending(): number {
    return this.#appender.pending;
  }

  /** Waits until every append so far has settled and every parent audit has run. */
  async settle(): Promise<void> {
    await this.#appender.idle();
    await this.#auditor.settle();
  }

  /** Lets queued appends finish, then stops following the stream. The connection stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#appender.close();
    await this.#auditor.settle();
    this.#stopped = true;
    this.#publisher.close();
    this.#index.stop();
  }
}

/** Opens (and by default provisions) the site's ledger on a connection. */
export async function openLedger(nc: NatsConnection, o: LedgerOptions): Promise<Ledger> {
  const jsOpts = o.domain ? { domain: o.domain } : {};
  const jsm = await jetstreamManager(nc, jsOpts);
  if (o.provision ?? true) await provisionLedger(jsm, o);
  const store = new LedgerStore(o.site, jsm, jetstream(nc, jsOpts), () => nc.isClosed());
  const ledger = new Ledger(nc, store, o);
  if (o.eagerIndex) await ledger.lineage.ready();
  return ledger;
}
