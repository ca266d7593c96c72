import { join } from 'node:path';
import { echoKind, taskTrackerKind } from '../../actors/sample/index.ts';
import { findYtDlp } from '../../actors/workers/index.ts';
import { processEnv } from '../../config/index.ts';
import { drainOnSignals } from '../../runtime/index.ts';
import { resolveFfmpeg } from '../../runtime/media/index.ts';
import { bootSite, startHosts } from '../internal/boot.ts';
import { workerKinds } from '../internal/workers.ts';

/** Runs the site's actors until SIGTERM/SIGINT, then drains. */
export async function runSite(opts: { dataDir?: string; config?: string }): Promise<void> {
  const booted = await bootSite({
    ...(opts.config ? { configFile: opts.config } : {}),
    overrides: opts.dataDir ? { data_dir: opts.dataDir } : {},
  });
  const { config } = booted;
  const receiptsDir = join(config.data_dir, 'receipts');
  const env = processEnv();
  const workers =
    config.workers.enabled.length > 0
      ? workerKinds(config, {
          tools: await resolveFfmpeg(),
          env,
          ytdlp: findYtDlp(config.workers.scraper.ytdlp_bin, env.PATH ?? ''),
        })
      : [];
  const app = await startHosts(booted, [taskTrackerKind({ receiptsDir }), echoKind, ...workers]);
  const where = app.site.server
    ? `embedded nats-server at ${app.site.server.url}`
    : booted.config.nats.url;
  const names = config.workers.enabled.join(', ') || 'none';
  process.stdout.write(
    `omniva: site "${config.site_id}" running on ${where} (workers: ${names}); Ctrl-C to stop\n`,
  );
  drainOnSignals(() => app.shutdown(), app.log);
}
