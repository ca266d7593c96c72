import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { VideoAssetCreated } from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { sharedFixtures, timeBound } from '../media/support.ts';
import { startTestServer, tempDir, waitFor } from '../support/nats.ts';
import { readStream, STREAMS } from '../support/site.ts';

timeBound(120_000);

test('cli - run hosts the configured workers: a ScraperJob sent to the site is ingested', async () => {
  const fx = await sharedFixtures();
  const server = await startTestServer({ domain: 'local' });
  const dir = tempDir();
  const child = spawn(process.execPath, ['cli/omniva.mjs', 'run', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NATS_URL: server.url,
      OMNIVA_HOST_ID: 'h1',
      OMNIVA_WORKERS__ENABLED: 'scraper,analyzer',
    },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const nc = await connect({ servers: server.url });
  try {
    await waitFor(() => out.includes('running on'), 30_000);
    assert.match(out, /workers: scraper, analyzer/);
    const client = new SiteClient(nc, 'local', { actor: 'zenith' });
    const job_id = crypto.randomUUID();
    await client.command(
      'scraper',
      'ScraperJob',
      {
        job_id,
        creator_id: crypto.randomUUID(),
        platform: 'other',
        target_url: pathToFileURL(fx.files.clip).href,
        requested_range: { since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' },
        status: 'PENDING',
        created_at: '2026-11-22T08:00:00Z',
        updated_at: '2026-11-22T08:00:00Z',
      },
      { instance: 'h1' },
    );
    const asset = await waitFor(async () => {
      const msgs = await readStream(
        nc,
        STREAMS.evt,
        'omniva.local.evt.scraper-h1.video_asset_created',
      );
      return msgs.find((m) => (m.envelope.payload as VideoAssetCreated).job_id === job_id);
    }, 30_000);
    const payload = asset.envelope.payload as VideoAssetCreated;
    assert.match(payload.media_uri, /^media:\/\/local\/sha256\/[0-9a-f]{64}$/);
    assert.ok(payload.captions_uri, 'the sidecar SRT came along');
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await nc.close();
    await server.cleanup();
  }
});

test.run();
