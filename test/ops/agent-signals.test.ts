// The ops agent's health reporter and alert router under the site's generated `agent` user:
// it hears its host's worker heartbeats and the site's alerts, publishes health and disk_full,
// and the server reports no permission violation.

import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { consoleChannel, startAlertRouter, startHealthReporter } from '../../ops-agent/index.ts';
import { type Alert, deriveMsgId, makeEnvelope, subjects } from '../../protocols/index.ts';
import { ActorHost, publishSignal } from '../../runtime/index.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { waitFor } from '../support/nats.ts';
import { FAST_OPTIONS, silentLog } from '../support/site.ts';
import { type SecuredSite, SITE, startSecuredSite } from '../support/zenith-site.ts';

let site: SecuredSite;

test.before(async () => {
  site = await startSecuredSite();
});

test.after(async () => {
  await site?.cleanup();
});

test('agent user - health and alerts work within the agent’s permissions', async () => {
  const agent = await site.as('agent');
  const worker = await site.as('worker');
  const zenith = await site.as('zenith');
  const observer = await site.as('observer');

  const seen: string[] = [];
  observer.nc.subscribe(subjects.hbAll(SITE), {
    callback: (_e, m) => {
      seen.push(m.headers?.get('Omniva-Type') ?? '');
    },
  });
  await observer.nc.flush();

  // A worker host on h1, under the worker user, heartbeating.
  const editor = new ActorHost(
    {
      nc: worker.nc,
      site: SITE,
      hostId: 'h1',
      codec: 'msgpack',
      log: silentLog,
      options: { ...FAST_OPTIONS, heartbeat_ms: 100 },
    },
    { ...testEditorKind('h1', []), placement: { worker: 'editor', instance: 'h1' } },
  );
  const out = new PassThrough();
  const printed: string[] = [];
  out.on('data', (d) => printed.push(String(d)));
  const router = startAlertRouter({
    nc: agent.nc,
    site: SITE,
    channels: [consoleChannel({ stream: out })],
    log: silentLog,
  });
  const reporter = startHealthReporter({
    nc: agent.nc,
    site: SITE,
    host: 'h1',
    log: silentLog,
    intervalMs: 150,
    // Every volume counts as full: the agent publishes a disk_full alert and routes it.
    thresholds: {
      maxLoadPerCpu: 1_000,
      minMemoryAvailablePct: 0,
      minDiskFreePct: 0,
      diskFullPct: 100,
    },
    onAlert: (a) => void router.router.route(a),
  });
  try {
    await editor.start();
    await agent.nc.flush();
    await waitFor(() => (reporter.last?.workers.length ?? 0) > 0, 5_000);
    assert.equal(
      reporter.last?.workers.map((w) => `${w.actor}/${w.instance_id}`),
      ['editor/h1'],
    );
    assert.ok(seen.includes('HostHealth'), 'the observer sees the agent’s health reports');

    // An alert from Eclipse's process (the zenith user) reaches the agent's router.
    const a: Alert = {
      alert_id: deriveMsgId('agent-user-alert', 0),
      type: 'job_failed',
      severity: 'critical',
      site_id: SITE,
      run_id: 'run-1',
      stage: 'editor',
      message: 'job run-1 failed on editor/h1 and is abandoned',
      raised_at: new Date().toISOString(),
    };
    publishSignal(
      zenith.nc,
      subjects.alert(SITE, 'job_failed'),
      makeEnvelope({ type: 'Alert', site_id: SITE, payload: a }),
    );
    await waitFor(() => printed.some((l) => l.includes('job_failed')), 5_000);
    // disk_full: handed to the router directly and heard on the bus: delivered once.
    await waitFor(() => (router.router.stats().suppressed.console ?? 0) >= 1, 5_000);
    assert.is(printed.filter((l) => l.includes('disk_full')).length, 1);
    await agent.nc.flush();
    assert.equal(agent.errors, [], 'no permission violation for the agent');
    assert.equal(worker.errors, []);
  } finally {
    await reporter.stop();
    await router.stop();
    editor.stop();
  }
});

test.run();
