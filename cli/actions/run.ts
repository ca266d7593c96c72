import { join } from 'node:path';
import { echoKind, taskTrackerKind } from '../../actors/sample/index.ts';
import { drainOnSignals } from '../../runtime/index.ts';
import { bootSite, startHosts } from '../internal/boot.ts';

/** Runs the site's actors until SIGTERM/SIGINT, then drains. */
export async function runSite(opts: { dataDir?: string; config?: string }): Promise<void> {
  const booted = await bootSite({
    ...(opts.config ? { configFile: opts.config } : {}),
    overrides: opts.dataDir ? { data_dir: opts.dataDir } : {},
  });
  const receiptsDir = join(booted.config.data_dir, 'receipts');
  const app = await startHosts(booted, [taskTrackerKind({ receiptsDir }), echoKind]);
  const where = app.site.server
    ? `embedded nats-server at ${app.site.server.url}`
    : booted.config.nats.url;
  process.stdout.write(
    `omniva: site "${booted.config.site_id}" running on ${where}; Ctrl-C to stop\n`,
  );
  drainOnSignals(() => app.shutdown(), app.log);
}
