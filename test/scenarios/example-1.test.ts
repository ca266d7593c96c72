// Example Execution 1 of the technical spec, the viral clip pipeline: a new episode goes in;
// Stardust records the ingestion, Paradox finds no conflict, Lattice and Pantheon advise,
// Horizon answers the promotion, Chorus writes the metadata and Zenith issues every command;
// the scraper, analyzer, editor, scheduler and uploader do the work. Every stage is a ledger
// packet descending from the one before, and the ledger's hash chain verifies.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StardustPacket, WorkerStatus } from '../../protocols/index.ts';
import { one, openScenario, type Scenario, type Seen, timeBound } from './harness.ts';

timeBound(170_000);

let s: Scenario;
/** The packet id of each stage, in pipeline order. */
const stage: Record<string, Seen> = {};
let clip = '';

test.before(async () => {
  s = await openScenario();
  await s.ingest(s.sample.files.talk);
  const [receipt] = await s.next('PublishReceipt', undefined, 120_000);
  await s.ledger.settle();
  clip = (receipt as Seen<{ clip_id: string }>).payload.clip_id;
  const promotion = one(s.of('ClipPromotion'), 'promotion');
  const video = promotion.payload.video_id;
  Object.assign(stage, {
    request: one(s.of('WorkRequest'), 'work request'),
    'scrape command': one(s.of('ScraperJob'), 'ScraperJob command'),
    'raw capture': one(s.of('MediaCaptured'), 'raw capture'),
    asset: one(s.of('VideoAssetCreated'), 'asset'),
    'analyze command': one(
      s.of('AnalyzeJob', (j) => j.video_id === video),
      'AnalyzeJob command',
    ),
    analysis: one(s.of('AnalysisReport'), 'analysis'),
    votes: one(s.of('VoteReport'), 'votes'),
    promotion,
    'edit command': one(
      s.of('EditOrder', (o) => o.job.clip_id === clip),
      'EditOrder',
    ),
    render: one(
      s.of('ClipRendered', (r) => r.clip_id === clip),
      'render',
    ),
    'chorus package': one(
      s.of('ChorusPackage', (c) => c.clip_id === clip),
      'ChorusPackage',
    ),
    'schedule order': one(
      s.of('ScheduleOrder', (o) => o.task.clip_id === clip),
      'ScheduleOrder',
    ),
    scheduled: one(
      s.of('ScheduleChange', (c) => c.clip_id === clip),
      'ScheduleChange',
    ),
    'publish order': one(
      s.of('PublishOrder', (o) => o.job.clip_id === clip),
      'PublishOrder',
    ),
    receipt: receipt as Seen,
  });
});

test.after(async () => {
  await s?.stop();
});

const packet = (name: string): Promise<StardustPacket> => {
  const m = stage[name];
  assert.ok(m?.stardust_id, `${name} was recorded`);
  return s.packet(m.stardust_id);
};

test('example 1 - every stage from the scrape command to the receipt is in the ledger, in order', async () => {
  const kinds: Record<string, string> = {
    request: 'advice',
    'scrape command': 'command',
    'raw capture': 'event',
    asset: 'event',
    'analyze command': 'command',
    analysis: 'event',
    votes: 'advice',
    promotion: 'advice',
    'edit command': 'command',
    render: 'event',
    'chorus package': 'advice',
    'schedule order': 'command',
    scheduled: 'event',
    'publish order': 'command',
    receipt: 'event',
  };
  const seqs: number[] = [];
  for (const [name, kind] of Object.entries(kinds)) {
    const p = await packet(name);
    assert.is(p.kind, kind, `${name} is a ${kind} packet`);
    assert.is((p.payload as { type: string }).type, stage[name]?.type);
    seqs.push(await s.seq(p.stardust_id));
  }
  // Chorus writes while the editor renders: the two are siblings, both before the slot.
  const [chorus] = seqs.splice(10, 1);
  assert.equal(
    seqs,
    [...seqs].sort((x, y) => x - y),
    'the stages were recorded in order',
  );
  assert.ok((chorus as number) > (seqs[7] as number) && (chorus as number) < (seqs[10] as number));
  // Every worker did its part and said so.
  const done = (worker: string) =>
    s.of('WorkerStatus', (w: WorkerStatus) => w.worker === worker && w.status === 'DONE');
  for (const w of ['scraper', 'analyzer', 'editor', 'scheduler', 'uploader'])
    assert.is(done(w).length, 1, `${w} finished one job`);
  assert.is(s.of('WorkerStatus', (w) => w.status === 'ERROR').length, 0, 'nothing failed');
  const published = join(s.dataDir, 'published', clip, 'clip.mp4');
  assert.ok(existsSync(published), 'the clip is in the local publish folder');
});

test('example 1 - each stage derives from the one before it', async () => {
  const links: [string, string[]][] = [
    ['scrape command', ['request']],
    ['raw capture', ['scrape command']],
    ['asset', ['scrape command']],
    ['analyze command', ['asset']],
    ['analysis', ['analyze command']],
    ['votes', ['analysis']],
    ['promotion', ['asset', 'analysis', 'votes']],
    ['edit command', ['asset', 'analysis', 'votes']],
    ['render', ['edit command']],
    ['chorus package', ['promotion']],
    ['schedule order', ['render', 'chorus package']],
    ['scheduled', ['schedule order']],
    ['publish order', ['render', 'chorus package']],
    ['receipt', ['publish order']],
  ];
  for (const [child, parents] of links) {
    const p = await packet(child);
    for (const parent of parents)
      assert.ok(
        p._meta_parents.includes(stage[parent]?.stardust_id as string),
        `${child} cites ${parent}`,
      );
  }
});

test('example 1 - the receipt descends from every stage back to the scrape command', async () => {
  const ancestors = await s.ancestors(stage.receipt?.stardust_id as string);
  for (const name of Object.keys(stage).filter((n) => n !== 'receipt' && n !== 'raw capture'))
    assert.ok(
      ancestors.has(stage[name]?.stardust_id as string),
      `the receipt descends from ${name}`,
    );
});

test('example 1 - the receipt descends from the raw capture', async () => {
  const raw = stage['raw capture']?.stardust_id as string;
  const ancestors = await s.ancestors(stage.receipt?.stardust_id as string);
  const citing = (await s.ledger.lineage.children(raw)).map((n) => n.ref);
  assert.ok(
    ancestors.has(raw),
    `the receipt descends from the raw capture (MediaCaptured ${raw}, cited by ${citing.length} packets)`,
  );
});

test('example 1 - the cognitive chain: Paradox clear, Horizon answers, Chorus writes what is published', async () => {
  // Paradox saw the asset and found nothing to block.
  const paradox = s.actors.hosts.find((h) => h.kind.name === 'paradox');
  assert.ok(paradox);
  const view = (await paradox.inspect()).context as {
    media: [string, string, string, string][];
    open: unknown[];
  };
  const video = (stage.promotion as Seen<{ video_id: string }>).payload.video_id;
  assert.ok(
    view.media.some((m) => m[2] === video && m[3] === stage.asset?.stardust_id),
    'Paradox checked the asset',
  );
  assert.equal(view.open, [], 'no open conflict');
  assert.equal(s.of('ConflictReport'), [], 'no conflict reported');
  assert.equal(
    s.decisions((a) => a.decision === 'hold' || a.decision === 'reject'),
    [],
    'nothing held or rejected',
  );
  // Horizon answered the promotion; Zenith carried its weight into the scheduling plan.
  const promotion = stage.promotion as Seen<{ topic: string }>;
  const guidance = s.of('HorizonGuidance')[0];
  assert.ok(guidance);
  assert.ok((await s.packet(guidance.stardust_id))._meta_parents.includes(promotion.stardust_id));
  assert.equal(guidance.payload.drift, [], 'no drift: the mix is not judged on one clip');
  const order = stage['schedule order'] as Seen<{ task: { horizon_adjustment: number } }>;
  assert.is(
    order.payload.task.horizon_adjustment,
    guidance.payload.topic_weights[promotion.payload.topic] ?? 0,
    "the ScheduleOrder carries Horizon's weight for the clip's topic",
  );
  // Chorus's package is what the uploader was told to publish.
  const pkg = stage['chorus package'] as Seen<{
    status: string;
    title: string;
    description: string;
  }>;
  assert.is(pkg.payload.status, 'ready');
  const publish = stage['publish order'] as Seen<{ job: { title: string; description: string } }>;
  assert.is(publish.payload.job.title, pkg.payload.title);
  assert.is(publish.payload.job.description, pkg.payload.description);
});

test('example 1 - HaloLux tells the whole story and the ledger verifies (omniva stardust verify)', async () => {
  const e = await s.explain({ type: 'clip', id: clip });
  assert.equal(e.missing, [], 'no stage is missing from the story');
  assert.is(e.completeness, 1);
  const cited = new Set(e.chain.flatMap((step) => step.stardust_ids));
  for (const name of ['promotion', 'render', 'chorus package', 'scheduled', 'receipt'])
    assert.ok(cited.has(stage[name]?.stardust_id as string), `the story cites the ${name}`);
  const v = await s.ledger.verify();
  assert.equal(v.ok, true, JSON.stringify(v));
});

test.run();
