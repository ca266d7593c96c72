import { chorusKind } from '../../actors/cognitive/chorus/index.ts';
import { horizonKind } from '../../actors/cognitive/horizon/index.ts';
import { eclipseKind, zenithKind } from '../../actors/cognitive/index.ts';
import { latticeKind } from '../../actors/cognitive/lattice/index.ts';
import { pantheonKind } from '../../actors/cognitive/pantheon/index.ts';
import { paradoxKind } from '../../actors/cognitive/paradox/index.ts';
import { findYtDlp } from '../../actors/workers/index.ts';
import { PLACED_WORKERS, processEnv, runtimeSlice } from '../../config/index.ts';
import {
  ActorHost,
  type ActorKind,
  grantSigner,
  type LeaderHost,
  provisionEpochs,
  provisionLeases,
  resolveSecret,
  startLeaderHost,
} from '../../runtime/index.ts';
import { resolveFfmpeg } from '../../runtime/media/index.ts';
import type { Booted } from './boot.ts';
import { workerKinds } from './workers.ts';

export interface SiteActors {
  hosts: ActorHost[];
  /** Absent when `cognitive.enabled` is false (a worker-only process). */
  zenith: LeaderHost | undefined;
  /** Zenith's grant key; uploaders of this process trust it. */
  grantKey: string;
  stop(): Promise<void>;
}

/**
 * Everything a single-site fleet runs in one process: the enabled workers (placed on this
 * host), the advisory modules, Eclipse, and Zenith under the site's lease.
 */
export async function startSiteActors(b: Omit<Booted, 'hosts' | 'shutdown'>): Promise<SiteActors> {
  const { config } = b;
  const c = config.cognitive;
  const env = processEnv();
  const signer = grantSigner(
    c.zenith.grant_seed ? await resolveSecret(c.zenith.grant_seed, env) : undefined,
  );
  const trusted = [...new Set([...config.workers.uploader.trusted_keys, signer.publicKey])];
  const workers = workerKinds(
    {
      ...config,
      workers: {
        ...config.workers,
        uploader: { ...config.workers.uploader, trusted_keys: trusted },
      },
    },
    {
      tools: await resolveFfmpeg(),
      env,
      ytdlp: findYtDlp(config.workers.scraper.ytdlp_bin, env.PATH ?? ''),
    },
  );
  const advisors: ActorKind[] = !c.enabled
    ? []
    : [
        eclipseKind(),
        paradoxKind({ audit_ms: c.paradox.audit_ms }),
        latticeKind({
          max_queue_depth: c.lattice.max_queue_depth,
          recalibrate_ms: c.lattice.recalibrate_ms,
        }),
        horizonKind({
          goals: {
            goal_window: c.horizon.goal_window,
            topic_mix: c.horizon.topic_mix,
            posts_per_day: c.horizon.posts_per_day,
            preferred_windows: c.horizon.preferred_windows,
          },
        }),
        pantheonKind({
          env,
          ...(c.pantheon.external_url
            ? {
                external: {
                  base_url: c.pantheon.external_url,
                  model: c.pantheon.external_model,
                  timeout_ms: c.pantheon.external_timeout_ms,
                  ...(c.pantheon.external_api_key
                    ? { api_key_ref: c.pantheon.external_api_key }
                    : {}),
                },
              }
            : {}),
        }),
        chorusKind({
          voice: {
            name: c.chorus.voice,
            tone: c.chorus.voice,
            emoji: false,
            hashtags: c.chorus.hashtags,
            ...(c.chorus.signature ? { signature: c.chorus.signature } : {}),
          },
          policy: {
            banned_terms: [...c.chorus.banned_terms],
            required_disclosures: [...c.chorus.required_disclosures],
            replacements: { ...c.chorus.replacements },
          },
        }),
      ];
  const deps = {
    nc: b.site.nc,
    site: config.site_id,
    hostId: config.host_id,
    codec: config.codec,
    log: b.log,
    options: runtimeSlice(config),
    ledger: b.site.ledger,
  };
  const hosts: ActorHost[] = [];
  for (const kind of [...workers, ...advisors]) {
    const host = new ActorHost(deps, kind);
    await host.start();
    hosts.push(host);
  }
  await provisionLeases(b.site.nc);
  await provisionEpochs(b.site.nc);
  // Where Zenith sends each kind's work: the site's placement (a fleet renders it from the
  // hosts' roles), else the workers of this very process.
  const placed = (name: (typeof PLACED_WORKERS)[number]) =>
    c.zenith.placement?.[name] ??
    (config.workers.enabled.includes(name as never) ? [config.host_id] : []);
  const zenith = !c.enabled
    ? undefined
    : await startLeaderHost({
        nc: b.site.nc,
        site: config.site_id,
        holder: config.host_id,
        log: b.log,
        makeHost: (authority) =>
          new ActorHost(
            { ...deps, authority },
            zenithKind({
              workers: Object.fromEntries(PLACED_WORKERS.map((w) => [w, [...placed(w)]])),
              cycleMs: c.zenith.cycle_ms,
              pipeline: {
                clips_per_video: c.zenith.clips_per_video,
                min_score: c.zenith.min_score,
                channel: c.zenith.channel,
                target: c.zenith.target,
                privacy: c.zenith.privacy,
                lead_minutes: c.zenith.lead_minutes,
              },
              signGrant: (clip_id, site) => signer.sign(clip_id, site),
            }),
          ),
      });
  return {
    hosts,
    zenith,
    grantKey: signer.publicKey,
    async stop() {
      await zenith?.stop();
      await Promise.all(hosts.map((h) => h.drain()));
    },
  };
}
