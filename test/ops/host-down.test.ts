// A host whose health reports stop becomes offline and raises host_down once per window
// (the fleet issue's "done when"), end to end on a real nats-server: two hosts report, Eclipse
// judges them, Zenith places work away from the offline one, and the alert reaches a loopback
// webhook and a file once, however often the host flaps or the alert is published again.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ECLIPSE, eclipseKind } from '../../actors/cognitive/index.ts';
import {
  fileChannel,
  type HealthReporter,
  startAlertRouter,
  startHealthReporter,
  webhookChannel,
} from '../../ops-agent/index.ts';
import {
  type Alert,
  decode,
  type Envelope,
  HEADERS,
  makeEnvelope,
  subjects,
} from '../../protocols/index.ts';
import { type ActorHost, publishSignal, SiteClient } from '../../runtime/index.ts';
import { type ControlSite, openControlSite, startZenith } from '../support/control-site.ts';
import { tempDir, waitFor } from '../support/nats.ts';
import { SITE, silentLog, startHost } from '../support/site.ts';

const INTERVAL = 400;
const LAX = { maxLoadPerCpu: 1_000, minMemoryAvailablePct: 0, minDiskFreePct: 0, diskFullPct: 0 };

let site: ControlSite;

test.before(async () => {
  site = await openControlSite();
});

test.after(async () => {
  await site.close();
});

test('host down - silence makes h1 offline, host_down is delivered once, work goes to h2, reports bring it back', async () => {
  // The webhook receiver: a loopback HTTP server, as an operator's endpoint would be.
  const posted: Alert[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      posted.push(JSON.parse(body) as Alert);
      res.writeHead(204).end();
    });
  }).listen(0, '127.0.0.1');
  await once(hook, 'listening');
  const file = join(tempDir('omniva-alerts-'), 'var', 'alerts.jsonl');
  const router = startAlertRouter({
    nc: site.nc,
    site: SITE,
    log: silentLog,
    channels: [
      webhookChannel({ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts` }),
      fileChannel({ path: file }),
    ],
  });
  // Every host_down on the bus, to tell "raised twice, delivered once" from "raised once".
  const raised: Alert[] = [];
  site.nc.subscribe(subjects.alert(SITE, 'host_down'), {
    callback: (_e, m) => {
      const env = decode(m.data, m.headers?.get(HEADERS.contentType)) as Envelope;
      raised.push(env.payload as Alert);
    },
  });

  const eclipse = await startHost(
    site.nc,
    eclipseKind({ ...DEFAULT_ECLIPSE, hostGapIntervals: 3 }),
    {
      ledger: site.ledger,
    },
  );
  const zenith = await startZenith(site, { editor: ['h1', 'h2'] });
  const report = (host: string) =>
    startHealthReporter({
      nc: site.nc,
      site: SITE,
      host,
      log: silentLog,
      intervalMs: INTERVAL,
      thresholds: LAX,
    });
  const reporters: HealthReporter[] = [report('h1'), report('h2')];
  let h1 = reporters[0] as HealthReporter;

  type EclipseView = { hosts?: Record<string, { state: string }> };
  const hostState = async (host: string) =>
    ((await (eclipse as ActorHost).inspect()).context as EclipseView).hosts?.[host]?.state;
  type ZenithView = {
    unavailable?: Record<string, { state: string }>;
    jobs: Record<string, { instance: string; status: string }>;
  };
  const zview = () => zenith.view<ZenithView>();
  const lines = () =>
    readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Alert);

  try {
    await waitFor(async () => (await hostState('h1')) === 'healthy', 10_000);
    await waitFor(async () => (await hostState('h2')) === 'healthy', 10_000);

    // h1 goes silent.
    await h1.stop();
    await waitFor(() => posted.some((a) => a.type === 'host_down'), 10_000);
    assert.is(await hostState('h1'), 'offline');
    assert.is(await hostState('h2'), 'healthy');
    const down = posted.find((a) => a.type === 'host_down') as Alert;
    assert.is(down.host_id, 'h1');
    assert.is(down.severity, 'critical');
    assert.is(down.site_id, SITE);
    await waitFor(async () => (await zview()).unavailable?.h1?.state === 'offline', 5_000);

    // New work is placed on h2.
    const job = crypto.randomUUID();
    const operator = new SiteClient(site.nc, SITE, { actor: 'operator', ledger: site.ledger });
    await operator.advise('operator', 'work_request', 'WorkRequest', {
      request_id: crypto.randomUUID(),
      job_key: job,
      worker: 'editor',
      contract: 'EditJob',
      payload: {
        clip_id: job,
        operations: ['cut'],
        ffmpeg_commands: [],
        gpu_required: false,
        estimated_duration: 5,
      },
      requested_by: 'operator',
    });
    const placed = await waitFor(async () => (await zview()).jobs[job], 5_000);
    assert.equal(placed, { ...placed, instance: 'h2', status: 'issued' });

    // h1 flaps: back, then silent again. A second host_down is raised but not delivered.
    h1 = report('h1');
    reporters.push(h1);
    await waitFor(async () => (await hostState('h1')) === 'healthy', 10_000);
    await waitFor(async () => (await zview()).unavailable?.h1 === undefined, 5_000);
    await waitFor(() => posted.some((a) => a.type === 'host_recovered'), 5_000);
    await h1.stop();
    await waitFor(() => raised.length >= 2, 10_000);
    assert.is(raised[1]?.host_id, 'h1');
    assert.is.not(raised[1]?.alert_id, raised[0]?.alert_id, 'a new outage, a new alert');

    // The first alert published again by hand changes nothing either.
    const again = makeEnvelope({ type: 'Alert', site_id: SITE, payload: down });
    publishSignal(site.nc, subjects.alert(SITE, 'host_down'), again);
    await site.nc.flush();
    await waitFor(() => router.router.stats().suppressed.file === 2, 5_000);
    await router.router.settled();

    assert.is(posted.filter((a) => a.type === 'host_down').length, 1, 'one webhook POST');
    assert.is(lines().filter((a) => a.type === 'host_down').length, 1, 'one line in the file');
    assert.equal(router.router.stats().suppressed, { webhook: 2, file: 2 });
    assert.is(router.router.stats().malformed, 0);

    // Reports resume: healthy again, and Zenith may place on h1 once more.
    h1 = report('h1');
    reporters.push(h1);
    await waitFor(async () => (await hostState('h1')) === 'healthy', 10_000);
    await waitFor(async () => (await zview()).unavailable?.h1 === undefined, 5_000);
  } finally {
    for (const r of reporters) await r.stop();
    await zenith.leader.stop();
    await eclipse.drain();
    await router.stop();
    hook.closeAllConnections();
    hook.close();
  }
});

test.run();
