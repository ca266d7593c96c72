import type { ExplainRequest, Explanation } from '../../../protocols/index.ts';
import { type GatherOptions, planStory, readStory, type StoryLedger } from './gather.ts';
import { explain } from './narrate.ts';
import { TraceIndex } from './trace-index.ts';

/**
 * HaloLux as a service: answers ExplainRequests from the ledger, with a cache. Served over
 * `rpc.halolux.explain` by the runtime's `serveExplanations`, which needs async work that a
 * machine's rpc binding cannot do; this side holds the HaloLux logic so runtime/ never
 * imports actors/.
 */

export interface HaloLuxOptions {
  /** Explanations kept (least recently used goes first). Default 256. */
  cacheSize?: number;
  /** Packets per story. Default MAX_STORY_PACKETS. */
  maxPackets?: number;
}

export interface HaloLuxStats {
  hits: number;
  misses: number;
  size: number;
}

export interface HaloLux {
  /** Builds the lineage and trace indexes, so the first question is as fast as the rest. */
  ready(): Promise<void>;
  explain(req: ExplainRequest): Promise<Explanation>;
  readonly stats: Readonly<HaloLuxStats>;
  /** Stops following the ledger; the ledger itself stays open. */
  close(): void;
}

interface Entry {
  version: string;
  explanation: Explanation;
}

/** The cache key: a trace by its trace_id, anything else by type and id. */
function keyOf(subject: ExplainRequest['subject']): string {
  return subject.type === 'trace' ? subject.id : `${subject.type}:${subject.id}`;
}

/**
 * An explanation is reused while its story is unchanged. The story's version (its packet
 * count and highest sequence, from the in-memory indexes) moves when a packet joins it, so
 * a new packet invalidates exactly the answers it belongs to — the ledger's own last
 * sequence would move with every unrelated append and the cache would seldom hit.
 */
export function createHaloLux(ledger: StoryLedger, o: HaloLuxOptions = {}): HaloLux {
  const size = Math.max(1, o.cacheSize ?? 256);
  const traces = new TraceIndex(ledger.store);
  const gather: GatherOptions = { traces, ...(o.maxPackets ? { max: o.maxPackets } : {}) };
  const cache = new Map<string, Entry>();
  // One computation per story version, however many ask for it at once.
  const pending = new Map<string, Promise<Explanation>>();
  const stats: HaloLuxStats = { hits: 0, misses: 0, size: 0 };

  const remember = (key: string, entry: Entry) => {
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > size) cache.delete(cache.keys().next().value as string);
    stats.size = cache.size;
  };

  return {
    async ready() {
      await Promise.all([ledger.lineage.sync(), traces.sync()]);
    },
    async explain(req) {
      const key = keyOf(req.subject);
      const plan = await planStory(ledger, req.subject, gather);
      const hit = cache.get(key);
      if (hit?.version === plan.version) {
        stats.hits++;
        remember(key, hit);
        return { ...hit.explanation, cached: true };
      }
      const flight = `${key}@${plan.version}`;
      let work = pending.get(flight);
      if (!work) {
        stats.misses++;
        work = readStory(ledger, plan)
          .then((story) => {
            const explanation = explain(req.subject, story.packets, undefined, story.notes);
            remember(key, { version: plan.version, explanation });
            return explanation;
          })
          .finally(() => pending.delete(flight));
        pending.set(flight, work);
      }
      return { ...(await work), cached: false };
    },
    get stats() {
      return stats;
    },
    close() {
      traces.stop();
    },
  };
}
