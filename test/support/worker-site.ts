import { type Envelope, HEADERS, subjects, type WorkerStatus } from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { type FfmpegTools, MediaStore, resolveFfmpeg } from '../../runtime/media/index.ts';
import { type ControlSite, openControlSite } from './control-site.ts';
import { tempDir, waitFor } from './nats.ts';
import { readStream, SITE, STREAMS } from './site.ts';

/** A site with a ledger, a media store under a temp data dir and resolved ffmpeg tools. */
export interface WorkerSite extends ControlSite {
  dataDir: string;
  store: MediaStore;
  tools: FfmpegTools;
  /** Sends a command the way Zenith does: recorded in the ledger, then published. */
  command: SiteClient['command'];
  /** Every event `<actor>.<name>` on the event stream so far. */
  events(actor: string, name: string): Promise<Envelope[]>;
  /** The same, each with the Stardust packet id its publisher recorded it under. */
  recorded(actor: string, name: string): Promise<{ envelope: Envelope; stardust_id: string }[]>;
  /** Waits for the job's final WorkerStatus (DONE, ERROR or CANCELLED) from `actor`. */
  outcome(
    actor: string,
    jobId: string,
    timeoutMs?: number,
  ): Promise<WorkerStatus & { env: Envelope }>;
}

export async function openWorkerSite(): Promise<WorkerSite> {
  const site = await openControlSite();
  const dataDir = tempDir('omniva-worker-');
  const store = new MediaStore({ dataDir, siteId: SITE });
  const tools = await resolveFfmpeg();
  const events = async (actor: string, name: string) =>
    (await readStream(site.nc, STREAMS.evt, subjects.evt(SITE, actor, name))).map(
      (m) => m.envelope,
    );
  const client = new SiteClient(site.nc, SITE, { actor: 'zenith', ledger: site.ledger });
  return {
    ...site,
    command: (worker, type, payload, opts) => client.command(worker, type, payload, opts),
    dataDir,
    store,
    tools,
    events,
    async recorded(actor, name) {
      const msgs = await readStream(site.nc, STREAMS.evt, subjects.evt(SITE, actor, name));
      return msgs.map((m) => ({
        envelope: m.envelope,
        stardust_id: m.headers[HEADERS.stardustId] ?? '',
      }));
    },
    async outcome(actor, jobId, timeoutMs = 60_000) {
      return waitFor(
        async () => {
          const done = (await events(actor, 'status')).find((e) => {
            const s = e.payload as WorkerStatus;
            return s.job_id === jobId && s.status !== 'RUNNING' && s.status !== 'PENDING';
          });
          return done ? { ...(done.payload as WorkerStatus), env: done } : undefined;
        },
        timeoutMs,
        50,
      );
    },
  };
}
