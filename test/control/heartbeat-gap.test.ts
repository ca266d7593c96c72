// A worker instance that dies silently: its heartbeats stop, Eclipse takes it for dead after
// the gap, Zenith moves the job that was waiting for it to a live instance.
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ECLIPSE, eclipseKind, zenithKind } from '../../actors/cognitive/index.ts';
import {
  ActorHost,
  createLogger,
  type LeaderHost,
  type Ledger,
  openLedger,
  provisionEpochs,
  provisionLeases,
  SiteClient,
  startLeaderHost,
} from '../../runtime/index.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, FAST_OPTIONS, SITE, silentLog, startHost } from '../support/site.ts';

let server: TestServer;
let nc: NatsConnection;
let ledger: Ledger;
const renders: string[] = [];
const HB = { heartbeat_ms: 200 };

test.before(async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
  await provisionLeases(nc, { ttlMs: 3_000 });
  await provisionEpochs(nc);
  ledger = await openLedger(nc, { site: SITE, log: createLogger({ level: 'silent' }) });
});

test.after(async () => {
  await ledger.close();
  await nc.close();
  await server.cleanup();
});

test('heartbeat gap - a silent instance is quarantined and its job rerouted', async () => {
  const editorKind = (i: string) => ({
    ...testEditorKind(i, renders),
    placement: { worker: 'editor', instance: i },
  });
  const editorA = await startHost(nc, editorKind('a'), { ledger, options: HB, hostId: 'host-a' });
  const editorB = await startHost(nc, editorKind('b'), { ledger, options: HB, hostId: 'host-b' });
  const eclipse = await startHost(nc, eclipseKind({ ...DEFAULT_ECLIPSE, heartbeatGapMs: 1_200 }), {
    ledger,
  });
  let zenith: ActorHost | undefined;
  const leader: LeaderHost = await startLeaderHost({
    nc,
    site: SITE,
    holder: 'zenith-1',
    log: silentLog,
    makeHost: (authority) => {
      zenith = new ActorHost(
        {
          nc,
          site: SITE,
          hostId: 'zenith-1',
          codec: 'msgpack',
          log: silentLog,
          options: FAST_OPTIONS,
          authority,
          ledger,
        },
        zenithKind({ workers: { editor: ['a', 'b'] }, cycleMs: 30_000 }),
      );
      return zenith;
    },
  });
  try {
    await waitFor(() => zenith?.state === 'running');
    await new Promise((r) => setTimeout(r, 500)); // Eclipse has heard both instances
    editorA.stop(); // dies without a word: no drain, no more heartbeats

    const clip = crypto.randomUUID();
    const operator = new SiteClient(nc, SITE, { actor: 'operator', ledger });
    await operator.advise('operator', 'work_request', 'WorkRequest', {
      request_id: crypto.randomUUID(),
      job_key: clip,
      worker: 'editor',
      contract: 'EditJob',
      payload: {
        clip_id: clip,
        operations: ['cut'],
        ffmpeg_commands: [],
        gpu_required: false,
        estimated_duration: 5,
      },
      requested_by: 'operator',
    });
    type View = {
      jobs: Record<string, { status: string; instance: string }>;
      quarantined: string[];
    };
    const view = async () => (await (zenith as ActorHost).inspect()).context as View;
    await waitFor(async () => (await view()).jobs[clip]?.instance === 'a', 5_000);
    const done = await waitFor(async () => {
      const v = await view();
      return v.jobs[clip]?.status === 'done' ? v : undefined;
    }, 10_000);
    assert.equal(done.jobs[clip]?.instance, 'b', 'the job finished on the live instance');
    assert.ok(done.quarantined.includes('editor/a'), 'the silent instance is quarantined');
    assert.not.ok(done.quarantined.includes('editor/b'), 'the live one is not');
    assert.equal(renders, ['b'], 'the dead instance never rendered');
    const eclipseView = (await eclipse.inspect()).context as { silent: string[] };
    assert.ok(eclipseView.silent.includes('editor/a'));
  } finally {
    await leader.stop();
    await Promise.all([editorB.drain(), eclipse.drain()]);
  }
});

test.run();
