// Paradox, Lattice and Horizon on a real site: a nats-server with JetStream, one host per kind
// and a Stardust ledger. Events are published the way their workers publish them (recorded in
// the ledger first, the packet id in the Omniva-Stardust-Id header), and the advice is read back
// from the event stream and the ledger.
import { jetstream } from '@nats-io/jetstream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { horizonKind } from '../../actors/cognitive/horizon/index.ts';
import { latticeKind } from '../../actors/cognitive/lattice/index.ts';
import { paradoxKind } from '../../actors/cognitive/paradox/index.ts';
import {
  type ConflictReport,
  type ContractName,
  type ContractType,
  type Envelope,
  formatViolation,
  HEADERS,
  type HorizonGuidance,
  type LatticeHints,
  makeEnvelope,
  subjects,
  validateContract,
  type WorkerStatus,
} from '../../protocols/index.ts';
import { type ActorHost, SiteClient } from '../../runtime/index.ts';
import { encodeEnvelope } from '../../runtime/internal/outbound.ts';
import { Recorder, stardustHeader } from '../../runtime/internal/recorder.ts';
import { example } from '../protocols/examples.ts';
import { type ControlSite, openControlSite } from '../support/control-site.ts';
import { waitFor } from '../support/nats.ts';
import { readStream, SITE, STREAMS, startHost } from '../support/site.ts';

const TEST_MS = 30_000;
let site: ControlSite;
let hosts: ActorHost[] = [];

test.before(async () => {
  site = await openControlSite();
  hosts = [
    await startHost(site.nc, paradoxKind(), { ledger: site.ledger }),
    await startHost(site.nc, latticeKind({ max_queue_depth: 2 }), { ledger: site.ledger }),
    await startHost(
      site.nc,
      horizonKind({
        goals: {
          goal_window: '2026-W45',
          topic_mix: { sourdough: 0.5, pastry: 0.3, bread: 0.2 },
          posts_per_day: 3,
          preferred_windows: [{ start: '17:00', end: '20:00' }],
        },
      }),
      { ledger: site.ledger },
    ),
  ];
});

test.after(async () => {
  await Promise.all(hosts.map((h) => h.drain()));
  await site?.close();
});

/** Fails the test instead of hanging it. */
async function bounded(ms: number, body: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test exceeded ${ms} ms`)), ms);
  });
  try {
    await Promise.race([body(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes a worker event as the runtime does: recorded in the ledger, then on the stream. */
async function workerEvent<N extends ContractName>(
  actor: string,
  name: string,
  type: N,
  payload: ContractType<N>,
): Promise<{ envelope: Envelope; stardust_id: string }> {
  const envelope = makeEnvelope({ type, site_id: SITE, payload, actor }) as Envelope;
  const subject = subjects.evt(SITE, actor, name);
  const stardust_id = await new Recorder(site.ledger, actor).record(subject, envelope);
  assert.ok(stardust_id, 'recorded');
  const { data, headers } = encodeEnvelope(envelope, 'msgpack', stardustHeader(stardust_id));
  await jetstream(site.nc).publish(subject, data, { headers, msgID: envelope.msg_id });
  return { envelope, stardust_id: stardust_id as string };
}

/** Advice on `adv.<module>.<kind>` so far, each with its packet id, each a valid contract. */
async function advice<T>(module: string, kind: string, contract: ContractName) {
  const msgs = await readStream(site.nc, STREAMS.evt, subjects.adv(SITE, module, kind));
  return msgs.map((m) => {
    const v = validateContract(contract, m.envelope.payload);
    assert.ok(v.ok, `${contract}: ${v.ok ? '' : v.violations.map(formatViolation).join('; ')}`);
    return {
      payload: m.envelope.payload as T,
      stardust_id: m.headers[HEADERS.stardustId] ?? '',
      envelope: m.envelope,
    };
  });
}

test('advisors site - a duplicate asset brings a ConflictReport citing both asset packets', () =>
  bounded(TEST_MS, async () => {
    const asset = (video: string, source: string) => {
      const a = example('VideoAssetCreated');
      a.job_id = crypto.randomUUID();
      a.video_id = video;
      a.analysis_stub.video_id = video;
      a.source_item = source;
      a.media_uri = `media://${SITE}/sha256/${'d'.repeat(64)}`;
      return a;
    };
    const [v1, v2] = [crypto.randomUUID(), crypto.randomUUID()];
    const first = await workerEvent(
      'scraper',
      'video_asset_created',
      'VideoAssetCreated',
      asset(v1, 'feed:1'),
    );
    const second = await workerEvent(
      'scraper',
      'video_asset_created',
      'VideoAssetCreated',
      asset(v2, 'feed:2'),
    );
    const [report] = await waitFor(async () => {
      const rs = await advice<ConflictReport>('paradox', 'conflict', 'ConflictReport');
      return rs.length > 0 ? rs : undefined;
    });
    assert.ok(report);
    assert.is(report.payload.conflict, 'duplicate_media');
    assert.is(report.payload.action, 'block');
    assert.equal(report.payload.evidence, [first.stardust_id, second.stardust_id]);
    assert.equal(
      report.payload.affected.map((a) => a.id),
      [v2, v1],
    );
    // In the ledger, the report derives from both asset packets.
    const packet = await site.ledger.get(report.stardust_id);
    assert.ok(packet, 'the report is a ledger packet');
    assert.is(packet.kind, 'advice');
    assert.ok(packet._meta_parents.includes(first.stardust_id));
    assert.ok(packet._meta_parents.includes(second.stardust_id));
  }));

test('advisors site - a promotion mix over-indexed on one topic brings a drift warning', () =>
  bounded(TEST_MS, async () => {
    const zenith = new SiteClient(site.nc, SITE, { actor: 'zenith', ledger: site.ledger });
    let last = '';
    for (const topic of ['pastry', 'pastry', 'pastry', 'sourdough']) {
      const p = example('ClipPromotion');
      p.clip_id = crypto.randomUUID();
      p.topic = topic;
      last = (await zenith.advise('zenith', 'promotion', 'ClipPromotion', p)).stardust_id as string;
    }
    const latest = await waitFor(async () => {
      const gs = await advice<HorizonGuidance>('horizon', 'guidance', 'HorizonGuidance');
      return gs.length >= 4 ? gs[gs.length - 1] : undefined;
    });
    assert.is(latest.payload.goal_window, '2026-W45');
    assert.equal(latest.payload.drift, [
      {
        topic: 'pastry',
        share: 0.75,
        target: 0.3,
        warning:
          'pastry is 75 % of 4 promoted clips against a 30 % target: over-indexed, favour other topics',
      },
    ]);
    assert.ok((latest.payload.topic_weights.pastry ?? 0) < 0, 'pastry weighs against');
    assert.ok(latest.envelope._meta_parents?.includes(last), 'cites the promotion that tipped it');
  }));

test('advisors site - LatticeHints routing_sequence increases across messages', () =>
  bounded(TEST_MS, async () => {
    const analysis = () => {
      const a = example('AnalysisReport');
      a.job_id = crypto.randomUUID();
      a.result.video_id = crypto.randomUUID();
      return a;
    };
    const status = (job: string, s: WorkerStatus['status']): WorkerStatus => ({
      job_id: job,
      worker: 'editor',
      instance_id: 'editor-1',
      status: s,
      updated_at: new Date().toISOString(),
    });
    const [j1, j2] = [crypto.randomUUID(), crypto.randomUUID()];
    await workerEvent('analyzer', 'analysis_ready', 'AnalysisReport', analysis());
    await workerEvent('editor', 'status', 'WorkerStatus', status(j1, 'RUNNING'));
    await workerEvent('editor', 'status', 'WorkerStatus', status(j2, 'RUNNING')); // hold
    await workerEvent('analyzer', 'analysis_ready', 'AnalysisReport', analysis());
    await workerEvent('editor', 'status', 'WorkerStatus', status(j1, 'DONE')); // accept again
    const hints = await waitFor(async () => {
      const hs = await advice<LatticeHints>('lattice', 'priorities', 'LatticeHints');
      return hs.length >= 4 ? hs : undefined;
    });
    const seqs = hints.map((h) => h.payload.routing_sequence);
    assert.is(seqs.length, 4, `exactly four hints: ${JSON.stringify(seqs)}`);
    for (let i = 1; i < seqs.length; i++) {
      assert.ok((seqs[i] as number) > (seqs[i - 1] as number), `strictly increasing: ${seqs}`);
    }
    assert.equal(
      hints.map((h) => h.payload.routing?.find((r) => r.worker === 'editor')?.hint.split(':')[0]),
      [undefined, 'hold new work', 'hold new work', 'accept work'],
    );
  }));

test('advisors site - routing_sequence keeps increasing after Lattice restarts on another host', () =>
  bounded(TEST_MS, async () => {
    const before = await advice<LatticeHints>('lattice', 'priorities', 'LatticeHints');
    const top = Math.max(0, ...before.map((h) => h.payload.routing_sequence));
    const old = hosts[1] as ActorHost;
    await old.drain();
    hosts[1] = await startHost(site.nc, latticeKind({ max_queue_depth: 2 }), {
      ledger: site.ledger,
      hostId: 'other-host',
    });
    const a = example('AnalysisReport');
    a.job_id = crypto.randomUUID();
    a.result.video_id = crypto.randomUUID();
    await workerEvent('analyzer', 'analysis_ready', 'AnalysisReport', a);
    const next = await waitFor(async () => {
      const hs = await advice<LatticeHints>('lattice', 'priorities', 'LatticeHints');
      return hs.find((h) => h.payload.video_id === a.result.video_id);
    });
    assert.is(next.payload.routing_sequence, top + 1, 'continues from the stored context');
  }));

test.run();
