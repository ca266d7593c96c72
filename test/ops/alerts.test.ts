// Alert delivery: the dedupe window on a simulated clock, the webhook against a loopback HTTP
// receiver (failures, retries, timeouts, a receiver that is down), the file and console
// channels, and the router listening on a real nats-server.
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  consoleChannel,
  createAlertRouter,
  dedupeKey,
  fileChannel,
  formatAlert,
  startAlertRouter,
  webhookChannel,
} from '../../ops-agent/index.ts';
import { type Alert, deriveMsgId, makeEnvelope, subjects } from '../../protocols/index.ts';
import { publishSignal } from '../../runtime/index.ts';
import { startTestServer, tempDir, waitFor } from '../support/nats.ts';
import { connectSite, SITE, silentLog } from '../support/site.ts';

const T0 = Date.parse('2026-11-02T08:00:00.000Z');
const WINDOW = 300_000;
let seq = 0;

function alert(a: Partial<Alert> = {}): Alert {
  return {
    alert_id: deriveMsgId(`alert-${seq++}`, 0),
    type: 'host_down',
    severity: 'critical',
    site_id: SITE,
    host_id: 'h1',
    message: 'host h1 is offline',
    raised_at: new Date(T0).toISOString(),
    ...a,
  };
}

/** A console channel on an in-memory stream: the lines it wrote. */
function lines(name = 'console') {
  const stream = new PassThrough();
  const out: string[] = [];
  stream.on('data', (d) => out.push(...String(d).trimEnd().split('\n')));
  return { channel: consoleChannel({ stream, name }), out };
}

/** A loopback HTTP receiver answering each POST with the next status of `script` (then 200). */
async function receiver(script: (number | 'hang')[] = [], port = 0) {
  const bodies: Alert[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Alert);
      const next = script.shift() ?? 200;
      if (next === 'hang') return; // never answers
      res.writeHead(next, { 'content-type': 'text/plain' }).end(String(next));
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/hook?token=s3cret`,
    port: address.port,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---- dedupe ---------------------------------------------------------------------------------

test('alerts - the same alert within the window is delivered once, and again after it', async () => {
  let now = T0;
  const c = lines();
  const router = createAlertRouter({ channels: [c.channel], log: silentLog, now: () => now });
  const first = await router.route(alert());
  assert.equal(first.delivered, ['console']);
  assert.is(first.key, 'host_down/test/h1//');
  now += WINDOW - 1;
  const repeat = await router.route(alert({ message: 'host h1 is offline again' }));
  assert.equal(repeat.delivered, []);
  assert.equal(repeat.suppressed, ['console']);
  now += 1;
  assert.equal((await router.route(alert())).delivered, ['console'], 'the window is over');
  assert.is(c.out.length, 2);
  assert.equal(router.stats(), {
    received: 3,
    malformed: 0,
    delivered: { console: 2 },
    suppressed: { console: 1 },
    failed: {},
  });
});

test('alerts - different keys are both delivered; dedupe_key replaces the default key', async () => {
  const c = lines();
  const router = createAlertRouter({ channels: [c.channel], log: silentLog, now: () => T0 });
  const delivered = async (a: Alert) => (await router.route(a)).delivered.length;
  assert.is(await delivered(alert()), 1);
  assert.is(await delivered(alert({ host_id: 'h2' })), 1, 'another host');
  assert.is(
    await delivered(alert({ type: 'host_degraded', severity: 'warning' })),
    1,
    'another type',
  );
  const job = { type: 'job_failed' as const, host_id: undefined, run_id: 'r1', stage: 'editor' };
  assert.is(await delivered(alert(job)), 1);
  assert.is(await delivered(alert({ ...job, stage: 'analyzer' })), 1, 'another stage');
  assert.is(await delivered(alert({ ...job, run_id: 'r2' })), 1, 'another run');
  assert.is(await delivered(alert(job)), 0);
  const disk = (path: string) =>
    alert({ type: 'disk_full', dedupe_key: `disk_full/${SITE}/h1/${path}` });
  assert.is(await delivered(disk('/')), 1);
  assert.is(await delivered(disk('/data')), 1, 'two volumes, two alerts');
  assert.is(await delivered(disk('/data')), 0);
  assert.is(dedupeKey(alert({ run_id: 'r', stage: 's' })), 'host_down/test/h1/r/s');
});

test('alerts - copies arriving together are delivered once', async () => {
  const c = lines();
  const router = createAlertRouter({ channels: [c.channel], log: silentLog });
  const a = alert();
  const outcomes = await Promise.all([router.route(a), router.route(a), router.route({ ...a })]);
  assert.equal(
    outcomes.map((o) => o.delivered.length),
    [1, 0, 0],
  );
  assert.is(c.out.length, 1);
});

test('alerts - a malformed alert is counted and not delivered', async () => {
  const c = lines();
  const router = createAlertRouter({ channels: [c.channel], log: silentLog });
  const bad = await router.route({ ...alert(), severity: 'apocalyptic' });
  assert.equal(bad.delivered, []);
  assert.match(
    bad.malformed ?? '',
    /^invalid Alert: \/severity: must be one of: info, warning, critical$/,
  );
  assert.ok((await router.route('not an alert')).malformed);
  const { host_id: _h, ...noMessage } = { ...alert(), message: undefined };
  assert.ok((await router.route(noMessage)).malformed);
  assert.equal(c.out, []);
  assert.is(router.stats().malformed, 3);
  assert.is(router.stats().received, 3);
});

test('alerts - channel names must be unique', () => {
  const c = lines();
  assert.throws(
    () => createAlertRouter({ channels: [c.channel, c.channel], log: silentLog }),
    (e: unknown) => (e as { code?: string }).code === 'OMNIVA_ERR_CONFIG_INVALID',
  );
});

// ---- channels -------------------------------------------------------------------------------

test('alerts - the console line says when, how bad, what and where', async () => {
  const a = alert({ run_id: 'r1', stage: 'editor', message: 'two\nlines' });
  assert.is(
    formatAlert(a),
    `${a.raised_at} CRITICAL host_down site=test host=h1 run=r1 stage=editor: two lines`,
  );
});

test('alerts - webhook answering 500 then 200 delivers once; a repeat is not posted again', async () => {
  const hook = await receiver([500]);
  try {
    const router = createAlertRouter({
      channels: [webhookChannel({ url: hook.url, retries: 3, backoffMs: 20 })],
      log: silentLog,
    });
    const a = alert();
    const out = await router.route(a);
    assert.equal(out.delivered, ['webhook']);
    assert.is(hook.bodies.length, 2, 'one failed POST, one that worked');
    assert.equal(hook.bodies[1], a, 'the body is the alert');
    assert.equal((await router.route(a)).suppressed, ['webhook']);
    assert.is(hook.bodies.length, 2);
    assert.equal(router.stats().delivered, { webhook: 1 });
  } finally {
    await hook.close();
  }
});

test('alerts - a webhook refusing with a 4xx is not retried; one that never answers times out', async () => {
  const hook = await receiver([400, 'hang', 'hang']);
  try {
    const refused = webhookChannel({ url: hook.url, retries: 3, backoffMs: 10 });
    const err = await refused.deliver(alert()).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.match(err?.message ?? '', /did not take alert .*: HTTP 400$/);
    assert.not.match(err?.message ?? '', /s3cret/, 'the URL’s token is never reported');
    assert.is(hook.bodies.length, 1);

    const slow = webhookChannel({ url: hook.url, retries: 1, backoffMs: 10, timeoutMs: 150 });
    const started = Date.now();
    const late = await slow.deliver(alert()).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.match(late?.message ?? '', /no answer within 150 ms$/);
    assert.is(hook.bodies.length, 3, 'tried twice');
    assert.ok(Date.now() - started < 2_000);
  } finally {
    await hook.close();
  }
});

test('alerts - with the webhook down the file still gets the alert; a repeat reaches the webhook once it is back', async () => {
  const dir = tempDir('omniva-alerts-');
  const file = join(dir, 'nested', 'deeper', 'alerts.jsonl');
  const probe = await receiver();
  const port = probe.port;
  await probe.close(); // nothing listens there now
  const router = createAlertRouter({
    channels: [
      webhookChannel({ url: `http://127.0.0.1:${port}/hook`, retries: 1, backoffMs: 10 }),
      fileChannel({ path: file }),
    ],
    log: silentLog,
  });
  const a = alert();
  const down = await router.route(a);
  assert.equal(down.delivered, ['file']);
  assert.equal(
    down.failed.map((f) => f.channel),
    ['webhook'],
  );
  assert.ok(existsSync(file), 'directories created');
  assert.equal(
    readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [a],
  );
  assert.equal(router.stats().failed, { webhook: 1 });

  const hook = await receiver([], port);
  try {
    const again = await router.route(alert());
    assert.equal(again.delivered, ['webhook'], 'the channel that failed is tried again');
    assert.equal(again.suppressed, ['file'], 'the one that delivered stays quiet');
    assert.is(hook.bodies.length, 1);
    assert.is(readFileSync(file, 'utf8').trimEnd().split('\n').length, 1);
  } finally {
    await hook.close();
  }
});

test('alerts - a failing file channel does not stop the others', async () => {
  const c = lines();
  const notADir = join(tempDir('omniva-alerts-'), 'file');
  writeFileSync(notADir, 'x');
  const router = createAlertRouter({
    // A regular file where a directory should be: the channel cannot create its path.
    channels: [fileChannel({ path: join(notADir, 'alerts.jsonl') }), c.channel],
    log: silentLog,
  });
  const out = await router.route(alert());
  assert.equal(out.delivered, ['console']);
  assert.equal(
    out.failed.map((f) => f.channel),
    ['file'],
  );
});

test('alerts - a channel that never finishes has failed after the delivery timeout', async () => {
  const hook = await receiver(['hang']);
  const c = lines();
  try {
    const router = createAlertRouter({
      channels: [webhookChannel({ url: hook.url, retries: 0, timeoutMs: 60_000 }), c.channel],
      log: silentLog,
      deliverTimeoutMs: 200,
    });
    const started = Date.now();
    const out = await router.route(alert());
    assert.ok(Date.now() - started < 2_000, 'the router did not wait for the webhook');
    assert.equal(out.delivered, ['console']);
    assert.equal(out.failed, [{ channel: 'webhook', error: 'no outcome within 200 ms' }]);
    await router.settled();
  } finally {
    await hook.close();
  }
});

// ---- on a real server -----------------------------------------------------------------------

test('alert router - routes what arrives on alert.>, escalations included; counts the rest', async () => {
  const server = await startTestServer({ domain: SITE });
  const nc = await connectSite(server.url);
  const c = lines();
  const running = startAlertRouter({ nc, site: SITE, channels: [c.channel], log: silentLog });
  try {
    await nc.flush();
    const a = alert({ type: 'disk_full', dedupe_key: 'disk_full/test/h1/' });
    const env = makeEnvelope({ type: 'Alert', site_id: SITE, actor: 'eclipse', payload: a });
    publishSignal(nc, subjects.alert(SITE, 'disk_full'), env, 'msgpack');
    publishSignal(nc, subjects.alert(SITE, 'disk_full'), env, 'json'); // the same, again
    const escalation = makeEnvelope({
      type: 'ActorEscalation',
      site_id: SITE,
      actor: 'editor',
      payload: {
        actor: 'editor',
        instance_key: 'main',
        host_id: 'h1',
        restarts: 3,
        period_ms: 60_000,
        last_error: { code: 'OMNIVA_ERR_ACTOR_FAILED', message: 'boom' },
        at: new Date(T0).toISOString(),
      },
    });
    publishSignal(nc, subjects.alert(SITE, 'actor_escalation'), escalation, 'msgpack');
    nc.publish(subjects.alert(SITE, 'host_down'), new TextEncoder().encode('{not json'));
    const wrongType = makeEnvelope({
      type: 'InstanceReadiness',
      site_id: SITE,
      payload: {
        worker: 'editor',
        instance: 'h1',
        state: 'released',
        reason: 'x',
        at: a.raised_at,
      },
    });
    publishSignal(nc, subjects.alert(SITE, 'host_down'), wrongType);
    // An Alert whose type is not one of the contract's: built loosely, as a foreign sender would.
    const badPayload = makeEnvelope({
      type: 'Alert',
      site_id: SITE,
      payload: { ...a, type: 'nope' } as unknown as Alert,
    });
    publishSignal(nc, subjects.alert(SITE, 'nope'), badPayload);
    await nc.flush();
    await waitFor(() => running.router.stats().received >= 6, 3_000);
    await running.router.settled();
    const stats = running.router.stats();
    assert.is(stats.malformed, 3);
    assert.equal(stats.delivered, { console: 2 });
    assert.equal(stats.suppressed, { console: 1 });
    assert.is(c.out.length, 2);
    assert.ok(c.out.some((l) => l.includes('CRITICAL disk_full site=test host=h1')));
    const esc = c.out.find((l) => l.includes('actor_escalation')) ?? '';
    assert.match(
      esc,
      /CRITICAL actor_escalation site=test host=h1 stage=editor: editor \(main\) crashed 3 times/,
    );
  } finally {
    await running.stop();
    await nc.close();
    await server.cleanup();
  }
});

test.run();
