import { createHaloLux } from '../../actors/cognitive/halolux/index.ts';
import {
  drainOnSignals,
  MediaStore,
  SiteClient,
  serveExplanations,
  startMediaInbox,
} from '../../runtime/index.ts';
import { bootSite } from '../internal/boot.ts';
import { startSiteActors } from '../internal/site-actors.ts';
import { watchSources } from '../internal/sources.ts';

/** Runs the whole site — workers, advisory modules, Zenith — until SIGTERM/SIGINT, then drains. */
export async function runSite(opts: { dataDir?: string; config?: string }): Promise<void> {
  const booted = await bootSite({
    ...(opts.config ? { configFile: opts.config } : {}),
    overrides: opts.dataDir ? { data_dir: opts.dataDir } : {},
  });
  const { config, site, log } = booted;
  const actors = await startSiteActors(booted);
  const halolux = createHaloLux(site.ledger);
  await halolux.ready();
  const explanations = serveExplanations({
    nc: site.nc,
    site: config.site_id,
    codec: config.codec,
    ledger: site.ledger,
    explain: (req) => halolux.explain(req),
    log,
  });
  const client = new SiteClient(site.nc, config.site_id, {
    codec: config.codec,
    actor: 'operator',
    ledger: site.ledger,
  });
  const stopSources = watchSources(client, config.sources, (err) =>
    log.warn({ err }, 'source request failed'),
  );
  // A host with workers keeps media: it takes what operators promote to it from other sites.
  const inbox =
    config.workers.enabled.length > 0 && config.workers.media_inbox
      ? await startMediaInbox({
          nc: site.nc,
          host: config.host_id,
          store: new MediaStore({ dataDir: config.data_dir, siteId: config.site_id }),
          ledger: site.ledger,
          log,
        })
      : undefined;
  drainOnSignals(async () => {
    stopSources();
    await inbox?.stop();
    await explanations.drain();
    halolux.close();
    await actors.stop();
    await site.close();
    log.flush?.();
  }, log);
  // Announced only once SIGTERM/SIGINT are handled: whoever waits for this line may stop us.
  const where = site.server ? `embedded nats-server at ${site.server.url}` : config.nats.url;
  const names = config.workers.enabled.join(', ') || 'none';
  process.stdout.write(
    `omniva: site "${config.site_id}" running on ${where} (workers: ${names}; ${config.sources.length} source(s)); Ctrl-C to stop\n`,
  );
}
