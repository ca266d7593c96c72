// Host health: the pure judgement of a sample, the host sampler on this machine, and the
// reporter on a real nats-server with a real worker host beside it.
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assess,
  DEFAULT_THRESHOLDS,
  fullVolumes,
  type HealthReporter,
  type HostSample,
  parseMemAvailable,
  sampleHost,
  startHealthReporter,
} from '../../ops-agent/index.ts';
import {
  type Alert,
  decode,
  type Envelope,
  HEADERS,
  type HostHealth,
  subjects,
  validateMessage,
} from '../../protocols/index.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite, SITE, silentLog, startHost } from '../support/site.ts';

const T = DEFAULT_THRESHOLDS;
const GB = 1_000_000_000;

function sample(s: Partial<HostSample> = {}): HostSample {
  return {
    load_1m: 1,
    load_5m: 1,
    cpus: 4,
    memory: { total_bytes: 16 * GB, available_bytes: 8 * GB },
    disks: [{ path: '/', total_bytes: 100 * GB, free_bytes: 50 * GB }],
    unreadable: [],
    ...s,
  };
}

// ---- assess ---------------------------------------------------------------------------------

test('health - a quiet host is healthy with no reasons', () => {
  assert.equal(assess(sample(), [], T), { state: 'healthy', reasons: [] });
});

test('health - load per cpu above the limit degrades; at the limit it does not', () => {
  assert.is(assess(sample({ load_1m: 8, cpus: 4 }), [], T).state, 'healthy', '2.0 is the limit');
  assert.equal(assess(sample({ load_1m: 8.4, cpus: 4 }), [], T), {
    state: 'degraded',
    reasons: ['load 2.1 per cpu is above 2'],
  });
  const lax = { ...T, maxLoadPerCpu: 3 };
  assert.is(assess(sample({ load_1m: 8.4, cpus: 4 }), [], lax).state, 'healthy');
});

test('health - available memory below the share degrades', () => {
  const low = sample({ memory: { total_bytes: 16 * GB, available_bytes: 1 * GB } });
  assert.equal(assess(low, [], T).reasons, ['memory available 6.3% is below 10%']);
  const enough = sample({ memory: { total_bytes: 16 * GB, available_bytes: 1.7 * GB } });
  assert.is(assess(enough, [], T).state, 'healthy');
  assert.is(assess(enough, [], { ...T, minMemoryAvailablePct: 20 }).state, 'degraded');
});

test('health - any volume low on space degrades; a full one is listed for disk_full', () => {
  const disks = [
    { path: '/', total_bytes: 100 * GB, free_bytes: 50 * GB },
    { path: '/var/lib/omniva', total_bytes: 100 * GB, free_bytes: 8 * GB },
    { path: '/media', total_bytes: 100 * GB, free_bytes: 3 * GB },
  ];
  const r = assess(sample({ disks }), [], T);
  assert.equal(r.reasons, [
    'volume /var/lib/omniva has 8% free, below 10%',
    'volume /media has 3% free, below 10%',
  ]);
  assert.equal(
    fullVolumes({ disks }, T).map((d) => d.path),
    ['/media'],
  );
  assert.equal(fullVolumes({ disks }, { diskFullPct: 1 }), []);
  // A pseudo file system reports no size at all: nothing to judge.
  assert.is(
    assess(sample({ disks: [{ path: '/proc', total_bytes: 0, free_bytes: 0 }] }), [], T).state,
    'healthy',
  );
});

test('health - an unreadable volume degrades', () => {
  const r = assess(sample({ unreadable: [{ path: '/mnt/gone', error: 'ENOENT' }] }), [], T);
  assert.equal(r.reasons, ['volume /mnt/gone unreadable: ENOENT']);
});

test('health - a local worker silent past the gap degrades; a recent one does not', () => {
  const w = (last_seen_s: number) => ({
    actor: 'editor',
    instance_id: 'h1',
    last_seen_s,
    state: 'healthy' as const,
  });
  assert.is(assess(sample(), [w(14.9)], T).state, 'healthy');
  assert.equal(assess(sample(), [w(15.1)], T).reasons, ['worker editor/h1 silent for 15 s']);
  assert.is(assess(sample(), [w(14.9)], { ...T, workerGapMs: 10_000 }).state, 'degraded');
});

test('health - several limits crossed give one reason each', () => {
  const r = assess(
    sample({ load_1m: 40, memory: { total_bytes: 10 * GB, available_bytes: 0 } }),
    [],
    T,
  );
  assert.is(r.state, 'degraded');
  assert.is(r.reasons.length, 2);
});

test('health - MemAvailable is read from /proc/meminfo text', () => {
  const text =
    'MemTotal:       24684084 kB\nMemFree:        23828276 kB\nMemAvailable:   24062276 kB\n';
  assert.is(parseMemAvailable(text), 24062276 * 1024);
  assert.is(parseMemAvailable('MemTotal: 1 kB\n'), undefined);
});

// ---- this machine ---------------------------------------------------------------------------

test('health - sampling this host reads load, memory and volumes', async () => {
  const s = await sampleHost(['/', '/no/such/volume-omniva']);
  assert.ok(s.cpus >= 1);
  assert.ok(s.load_1m >= 0 && s.load_5m >= 0);
  assert.ok(s.memory.total_bytes > 0);
  assert.ok(s.memory.available_bytes > 0 && s.memory.available_bytes <= s.memory.total_bytes);
  assert.equal(
    s.disks.map((d) => d.path),
    ['/'],
  );
  assert.ok(s.disks[0]!.total_bytes > 0 && s.disks[0]!.free_bytes <= s.disks[0]!.total_bytes);
  assert.equal(s.unreadable, [{ path: '/no/such/volume-omniva', error: 'ENOENT' }]);
  const fallback = await sampleHost([], { meminfoPath: '/no/such/meminfo' });
  assert.ok(fallback.memory.available_bytes > 0, 'os.freemem when /proc/meminfo is missing');
});

// ---- the reporter on a real server ----------------------------------------------------------

let server: TestServer;
let nc: NatsConnection;

/** Every envelope published on a subject from now on, checked against its contract. */
function collect(subject: string) {
  const got: { env: Envelope; contentType: string | undefined }[] = [];
  const invalid: string[] = [];
  nc.subscribe(subject, {
    callback: (_e, m) => {
      const contentType = m.headers?.get(HEADERS.contentType);
      const v = validateMessage(decode(m.data, contentType));
      if (!v.ok) invalid.push(v.error.message);
      else got.push({ env: v.envelope, contentType });
    },
  });
  return { got, invalid };
}

test('health reporter - publishes valid HostHealth with its host’s workers, every interval', async () => {
  server = await startTestServer({ domain: SITE });
  nc = await connectSite(server.url);
  const hb = collect(subjects.hb(SITE, 'h1'));
  const editor = await startHost(
    nc,
    { ...testEditorKind('h1', []), placement: { worker: 'editor', instance: 'h1' } },
    { hostId: 'h1', options: { heartbeat_ms: 100 } },
  );
  let reporter: HealthReporter | undefined;
  try {
    reporter = startHealthReporter({
      nc,
      site: SITE,
      host: 'h1',
      log: silentLog,
      intervalMs: 200,
      // Lax limits for a shared test machine; the worker gap is what this test is about.
      thresholds: {
        maxLoadPerCpu: 1_000,
        minMemoryAvailablePct: 0,
        minDiskFreePct: 0,
        diskFullPct: 0,
        workerGapMs: 600,
      },
    });
    const reports = () => hb.got.filter((g) => g.env.type === 'HostHealth');
    const withWorker = await waitFor(
      () => reports().find((g) => (g.env.payload as { workers: unknown[] }).workers.length > 0),
      3_000,
    );
    assert.equal(hb.invalid, [], 'everything on the subject passes its contract');
    assert.is(withWorker.contentType, 'application/json');
    const p = withWorker.env.payload as HostHealth;
    assert.is(p.host_id, 'h1');
    assert.is(p.site_id, SITE);
    assert.is(p.interval_ms, 200);
    assert.is(p.state, 'healthy');
    assert.equal(p.reasons, []);
    assert.equal(
      p.workers.map((w) => [w.actor, w.instance_id, w.state]),
      [['editor', 'h1', 'healthy']],
    );
    assert.ok(p.workers[0]!.last_seen_s < 0.6);
    assert.equal(
      p.disks.map((d) => d.path),
      ['/'],
    );
    assert.is(withWorker.env.actor, 'ops-agent');

    // The worker dies silently: after the gap its host is degraded, naming it.
    editor.stop();
    const degraded = await waitFor(
      () => reports().find((g) => (g.env.payload as { state: string }).state === 'degraded'),
      3_000,
    );
    const d = degraded.env.payload as HostHealth;
    assert.is(d.workers[0]?.state, 'offline');
    assert.match(d.reasons[0] ?? '', /^worker editor\/h1 silent for \d+ s$/);
    assert.is(reporter.last?.state, 'degraded');

    await reporter.stop();
    const count = reports().length;
    await new Promise((r) => setTimeout(r, 500));
    assert.is(reports().length, count, 'a stopped reporter publishes nothing');
  } finally {
    await reporter?.stop();
    editor.stop();
  }
});

test('health reporter - a volume below the full threshold raises disk_full once, on the bus and locally', async () => {
  const bus = collect(subjects.alert(SITE, 'disk_full'));
  const local: Alert[] = [];
  // Any real volume is "full" at 100%: the judgement runs on the real statfs numbers.
  const reporter = startHealthReporter({
    nc,
    site: SITE,
    host: 'h2',
    log: silentLog,
    intervalMs: 100,
    volumes: ['/'],
    thresholds: {
      maxLoadPerCpu: 1_000,
      minMemoryAvailablePct: 0,
      minDiskFreePct: 100,
      diskFullPct: 100,
    },
    onAlert: (a) => local.push(a),
  });
  try {
    await waitFor(() => bus.got.length > 0 && local.length > 0, 3_000);
    const first = reporter.last;
    await waitFor(async () => (await reporter.report()) !== first, 2_000);
    await reporter.report();
    await nc.flush();
    assert.equal(bus.invalid, []);
    assert.is(bus.got.length, 1, 'raised when the volume crossed, not on every report');
    assert.is(local.length, 1);
    const a = bus.got[0]!.env.payload as Alert;
    assert.equal(local[0], a, 'the same alert both ways');
    assert.is(a.type, 'disk_full');
    assert.is(a.severity, 'critical');
    assert.is(a.host_id, 'h2');
    assert.is(a.dedupe_key, `disk_full/${SITE}/h2//`);
    assert.is(a.details?.path, '/');
    assert.is(reporter.last?.state, 'degraded');
    assert.match(reporter.last?.reasons[0] ?? '', /^volume \/ has [\d.]+% free, below 100%$/);
  } finally {
    await reporter.stop();
    await nc.close();
    await server.cleanup();
  }
});

test.run();
