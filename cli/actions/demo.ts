import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHaloLux } from '../../actors/cognitive/halolux/index.ts';
import {
  type Arbitration,
  type ChorusPackage,
  type ClipPromotion,
  type ClipRendered,
  type Envelope,
  type Explanation,
  type PublishReceipt,
  subjects,
  type VoteReport,
  type WorkerStatus,
} from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { generateFixtures } from '../../scripts/fixtures.ts';
import { bootSite } from '../internal/boot.ts';
import { progressLine } from '../internal/progress.ts';
import { startSiteActors } from '../internal/site-actors.ts';
import { requestScrape } from '../internal/sources.ts';

export interface DemoOptions {
  dataDir: string;
  config?: string;
  /** Give up waiting for the pipeline after this long. */
  timeoutMs?: number;
}

type Stage =
  | 'ingest'
  | 'analyze'
  | 'vote'
  | 'promote'
  | 'edit'
  | 'metadata'
  | 'schedule'
  | 'publish';

/**
 * The main job: an embedded single-site fleet runs the whole pipeline on the sample talk by
 * itself — ingest → analyze → vote → edit → metadata → schedule → publish to the local
 * folder — then prints where the clips are and HaloLux's explanation of the best one.
 */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const t0 = Date.now();
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const booted = await bootSite({
    ...(opts.config ? { configFile: opts.config } : {}),
    overrides: { data_dir: opts.dataDir },
  });
  const { config, site } = booted;
  say(
    `• site "${config.site_id}" up on ${site.server ? `embedded nats-server ${site.server.version} at ${site.server.url}` : config.nats.url}`,
  );
  const sample = await generateFixtures({ dir: join(config.data_dir, 'sample'), only: ['talk'] });
  const stages: Partial<Record<Stage | 'boot' | 'sample', number>> = {
    boot: 0,
    sample: Date.now() - t0,
  };
  say(
    `• sample talk ready: ${sample.files.talk} (${sample.manifest.sets.talk?.duration_s.toFixed(0)} s)`,
  );

  const actors = await startSiteActors(booted);
  const client = new SiteClient(site.nc, config.site_id, {
    codec: config.codec,
    actor: 'operator',
    ledger: site.ledger,
  });
  const errors: string[] = [];
  const promoted: ClipPromotion[] = [];
  const rendered: ClipRendered[] = [];
  const packages: ChorusPackage[] = [];
  const published: PublishReceipt[] = [];
  const held: Arbitration[] = [];
  const voters: VoteReport['voters'] = [];
  const mark = (stage: Stage) => {
    stages[stage] ??= Date.now() - t0;
  };
  const on = (subject: string, f: (e: Envelope) => void) => client.watch(subject, f);
  const sid = config.site_id;
  const subs = [
    on(subjects.evtAll(sid), (e) => {
      const name = e.type;
      if (name === 'VideoAssetCreated') mark('ingest');
      if (name === 'AnalysisReport') mark('analyze');
      if (name === 'ClipRendered') {
        mark('edit');
        rendered.push(e.payload as ClipRendered);
      }
      if (name === 'ScheduleChange') mark('schedule');
      if (name === 'PublishReceipt') {
        mark('publish');
        published.push(e.payload as PublishReceipt);
      }
      if (name === 'WorkerStatus' && (e.payload as WorkerStatus).status === 'ERROR') {
        const s = e.payload as WorkerStatus;
        errors.push(
          `${s.worker}/${s.instance_id}: ${s.error?.code} ${s.error?.message ?? ''}`.slice(0, 300),
        );
      }
      const line = progressLine(e);
      if (line) say(line);
    }),
    on(subjects.advAll(sid), (e) => {
      if (e.type === 'VoteReport') {
        mark('vote');
        voters.push(...(e.payload as VoteReport).voters);
      }
      if (e.type === 'ClipPromotion') {
        mark('promote');
        promoted.push(e.payload as ClipPromotion);
      }
      if (e.type === 'ChorusPackage') {
        mark('metadata');
        packages.push(e.payload as ChorusPackage);
      }
      if (e.type === 'Arbitration' && (e.payload as Arbitration).decision === 'hold')
        held.push(e.payload as Arbitration);
      const line = progressLine(e);
      if (line) say(line);
    }),
  ];
  let explanation: Explanation | undefined;
  try {
    await waitFor(() => actors.zenith?.current()?.state === 'running', 15_000);
    await requestScrape(client, { url: sample.files.talk });
    say('• asked Zenith to ingest the sample talk');
    const expected = config.cognitive.zenith.clips_per_video;
    const done = await waitFor(
      () =>
        promoted.length > 0 &&
        published.length + held.filter((h) => h.clip_id).length >=
          Math.min(expected, promoted.length),
      opts.timeoutMs ?? 240_000,
    );
    if (!done)
      errors.push(`the pipeline did not finish within ${(opts.timeoutMs ?? 240_000) / 1000} s`);
    await site.ledger.settle();
    const best = [...promoted].sort((a, b) => b.score - a.score)[0];
    if (best) {
      const halolux = createHaloLux(site.ledger);
      const t = Date.now();
      explanation = await halolux.explain({ subject: { type: 'clip', id: best.clip_id } });
      halolux.close();
      say(
        `\n• HaloLux on the best clip (${best.start_time}–${best.end_time} s, ${Date.now() - t} ms):\n`,
      );
      say(explanation.narrative);
      say(
        `  (completeness ${explanation.completeness.toFixed(2)}; ${explanation.chain.length} cited steps)`,
      );
    }
    const publishedDir = config.workers.uploader.local_dir ?? join(config.data_dir, 'published');
    const clips = published.map((p) => ({
      clip_id: p.clip_id,
      file: join(publishedDir, p.clip_id, 'clip.mp4'),
      status: p.status,
      scheduled_time: p.scheduled_time,
      url: p.url,
      title: packages.find((c) => c.clip_id === p.clip_id)?.title,
      span: spanOf(promoted, p.clip_id),
    }));
    say('');
    for (const c of clips)
      say(`• clip: ${c.file}  "${c.title ?? ''}" (${c.status} for ${c.scheduled_time})`);
    say(`• gallery: ${join(publishedDir, 'index.html')}`);
    const summary = {
      // Held clips are a decision, not a failure: the run is ok when every clip reached an end.
      ok: errors.length === 0 && clips.length + held.filter((h) => h.clip_id).length > 0,
      site_id: config.site_id,
      data_dir: config.data_dir,
      sample: sample.files.talk,
      stage_ms: { ...stages, total_ms: Date.now() - t0 },
      counts: {
        promoted: promoted.length,
        rendered: rendered.length,
        published: published.length,
        held: held.filter((h) => h.clip_id).length,
        dead_lettered: actors.hosts.reduce((n, h) => n + h.stats.dead_lettered, 0),
      },
      best: best
        ? {
            clip_id: best.clip_id,
            start_time: best.start_time,
            end_time: best.end_time,
            score: best.score,
          }
        : null,
      voters,
      clips,
      gallery: join(publishedDir, 'index.html'),
      explanation: explanation ?? null,
      held: held.map((h) => h.reason),
      errors,
    };
    writeFileSync(
      join(config.data_dir, 'run_summary.json'),
      `${JSON.stringify(summary, null, 2)}\n`,
    );
    say(`• summary: ${join(config.data_dir, 'run_summary.json')}`);
    say(`• logs:    ${join(config.data_dir, 'logs', 'omniva.log')}`);
    say(
      summary.ok
        ? `done in ${((Date.now() - t0) / 1000).toFixed(1)} s`
        : `finished with errors: ${errors.join('; ') || 'no clip published'}`,
    );
    if (!summary.ok) process.exitCode = 1;
  } finally {
    for (const s of subs) s.unsubscribe();
    await actors.stop();
    await site.close();
    booted.log.flush?.();
  }
}

function spanOf(promoted: ClipPromotion[], clipId: string) {
  const p = promoted.find((x) => x.clip_id === clipId);
  return p ? { start_time: p.start_time, end_time: p.end_time } : undefined;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
