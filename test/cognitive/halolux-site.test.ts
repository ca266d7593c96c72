// HaloLux on a real site: a clip's story recorded in Stardust the way the runtime records it
// (advice through SiteClient.advise, worker events and commands through the Recorder), then
// asked over rpc.halolux.explain and through `omniva explain`.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHaloLux, type HaloLux } from '../../actors/cognitive/halolux/index.ts';
import {
  type ContractName,
  decode,
  type Envelope,
  type Explanation,
  makeEnvelope,
  OmnivaError,
  subjects,
} from '../../protocols/index.ts';
import {
  type ExplanationServer,
  openLedger,
  SiteClient,
  serveExplanations,
} from '../../runtime/index.ts';
import { Recorder } from '../../runtime/internal/recorder.ts';
import { example } from '../protocols/examples.ts';
import { type ControlSite, openControlSite } from '../support/control-site.ts';
import { SITE, silentLog } from '../support/site.ts';

const TRACE = randomUUID();
const CLIP = example('ClipPromotion').clip_id;
const VIDEO = example('ClipPromotion').video_id;

let site: ControlSite;
let halo: HaloLux;
let server: ExplanationServer;
let operator: SiteClient;
type Stage =
  | 'asset'
  | 'analysis'
  | 'votes'
  | 'promotion'
  | 'edit'
  | 'rendered'
  | 'metadata'
  | 'order'
  | 'slot'
  | 'receipt';
const ids = {} as Record<Stage, string>;

/** Records a message as an actor host does before publishing it; returns its stardust id. */
async function record(
  subject: string,
  type: ContractName,
  payload: Record<string, unknown>,
  actor: string,
  parents: string[] = [],
  trace_id = TRACE,
): Promise<string> {
  const envelope = makeEnvelope({
    type,
    site_id: SITE,
    payload,
    actor,
    trace_id,
    _meta_parents: parents,
  });
  return (await new Recorder(site.ledger, actor).record(subject, envelope)) as string;
}

async function advise(
  module: string,
  kind: string,
  type: ContractName,
  payload: Record<string, unknown>,
  parents: string[],
) {
  const client = new SiteClient(site.nc, SITE, { ledger: site.ledger, actor: module });
  const r = await client.advise(module, kind, type, payload, {
    trace_id: TRACE,
    _meta_parents: parents,
  });
  return r.stardust_id as string;
}

function explainRpc(subject: { type: 'clip' | 'trace' | 'job' | 'video'; id: string }) {
  return timed(() => operator.request('halolux', 'explain', 'ExplainRequest', { subject }, 5_000));
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

test.before(async () => {
  site = await openControlSite();
  ids.asset = await record(
    subjects.evt(SITE, 'scraper', 'video_asset_created'),
    'VideoAssetCreated',
    example('VideoAssetCreated'),
    'scraper',
  );
  // Over 16 KB: the packet keeps the reference, not the body.
  const report = example('AnalysisReport');
  report.result.transcript = 'word '.repeat(4000);
  ids.analysis = await record(
    subjects.evt(SITE, 'analyzer', 'analysis_ready'),
    'AnalysisReport',
    report,
    'analyzer',
    [ids.asset],
  );
  const votes = example('VoteReport');
  votes.ranking.push({
    candidate_index: 1,
    start_time: 95,
    end_time: 118.25,
    score: 0.61,
    consensus: 0.7,
    dissent: ['risk_guard'],
  });
  ids.votes = await advise('pantheon', 'votes', 'VoteReport', votes, [ids.analysis]);
  ids.promotion = await advise('zenith', 'promotion', 'ClipPromotion', example('ClipPromotion'), [
    ids.asset,
    ids.analysis,
    ids.votes,
  ]);
  ids.edit = await record(
    subjects.cmd(SITE, 'editor'),
    'EditOrder',
    example('EditOrder'),
    'zenith',
    [ids.votes],
  );
  ids.rendered = await record(
    subjects.evt(SITE, 'editor', 'clip_rendered'),
    'ClipRendered',
    example('ClipRendered'),
    'editor',
    [ids.edit],
  );
  ids.metadata = await advise('chorus', 'metadata', 'ChorusPackage', example('ChorusPackage'), [
    ids.promotion,
    ids.rendered,
  ]);
  ids.order = await record(
    subjects.cmd(SITE, 'scheduler'),
    'ScheduleOrder',
    example('ScheduleOrder'),
    'zenith',
    [ids.rendered, ids.metadata],
  );
  ids.slot = await record(
    subjects.evt(SITE, 'scheduler', 'scheduled'),
    'ScheduleChange',
    example('ScheduleChange'),
    'scheduler',
    [ids.order],
  );
  halo = createHaloLux(site.ledger);
  await halo.ready();
  server = serveExplanations({
    nc: site.nc,
    site: SITE,
    codec: 'msgpack',
    ledger: site.ledger,
    explain: (r) => halo.explain(r),
    log: silentLog,
  });
  operator = new SiteClient(site.nc, SITE, { actor: 'operator' });
});

test.after(async () => {
  await server?.drain();
  halo?.close();
  await site?.close();
});

test('halolux site - rpc.halolux.explain answers a clip in under 2 s, every step citing the ledger', async () => {
  const { value: reply, ms } = await explainRpc({ type: 'clip', id: CLIP });
  assert.is(reply.type, 'Explanation');
  const e = reply.payload as Explanation;
  assert.ok(ms < 2_000, `answered in ${ms.toFixed(0)} ms`);
  process.stdout.write(`  [halolux] first answer in ${ms.toFixed(1)} ms\n`);
  assert.is(e.cached, false);
  assert.equal(
    e.chain.map((c) => c.stardust_ids[0]),
    [
      ids.asset,
      ids.analysis,
      ids.votes,
      ids.promotion,
      ids.edit,
      ids.rendered,
      ids.metadata,
      ids.order,
      ids.slot,
    ],
  );
  // The 20 KB analysis body is not in its packet: its step says only what the packet names.
  assert.is(
    e.chain[1]?.statement,
    `analyzer published AnalysisReport (analysis_ready) about job ${example('AnalysisReport').job_id}`,
  );
  assert.ok(e.missing.some((m) => m.includes(`AnalysisReport ${ids.analysis} carries no body`)));
  assert.match(e.chain[2]?.statement ?? '', /^Pantheon ranked 12\.5–41 s first with score 0\.8/);
  assert.equal(e.alternatives[0], {
    what: 'candidate 1 (95–118.25 s)',
    why_lost:
      'ranked 2nd of 2 with score 0.61 (consensus 0.7; dissent: risk_guard), behind 12.5–41 s at score 0.8',
    stardust_ids: [ids.votes],
  });
  assert.is(e.completeness, 0.875);
  assert.ok(e.missing.includes('publish: no PublishOrder or PublishReceipt recorded'));
  assert.equal(e.trace_ids, [TRACE]);
});

test('halolux site - a second question is answered from the cache, fast', async () => {
  const first = await explainRpc({ type: 'clip', id: CLIP });
  const { value, ms } = await explainRpc({ type: 'clip', id: CLIP });
  const e = value.payload as Explanation;
  assert.is(e.cached, true);
  assert.equal({ ...e, cached: false }, { ...(first.value.payload as Explanation), cached: false });
  process.stdout.write(`  [halolux] cached answer in ${ms.toFixed(1)} ms\n`);
  assert.ok(ms < 500, `cached answer in ${ms.toFixed(0)} ms`);
});

test('halolux site - a packet joining the story invalidates its answer; an unrelated one does not', async () => {
  await record(
    subjects.evt(SITE, 'scraper', 'video_asset_created'),
    'VideoAssetCreated',
    { ...example('VideoAssetCreated'), video_id: randomUUID(), job_id: randomUUID() },
    'scraper',
    [],
    randomUUID(),
  );
  assert.is(
    ((await explainRpc({ type: 'clip', id: CLIP })).value.payload as Explanation).cached,
    true,
  );
  ids.receipt = await record(
    subjects.evt(SITE, 'uploader', 'published'),
    'PublishReceipt',
    example('PublishReceipt'),
    'uploader',
    [ids.slot],
  );
  const e = (await explainRpc({ type: 'clip', id: CLIP })).value.payload as Explanation;
  assert.is(e.cached, false);
  assert.is(e.chain.at(-1)?.stardust_ids[0], ids.receipt);
  assert.is(e.completeness, 1);
});

test('halolux site - a trace is explained from every packet recorded under it', async () => {
  const { value, ms } = await explainRpc({ type: 'trace', id: TRACE });
  const e = value.payload as Explanation;
  assert.ok(ms < 2_000, `answered in ${ms.toFixed(0)} ms`);
  assert.equal(new Set(e.chain.map((c) => c.stardust_ids[0])), new Set(Object.values(ids)));
  assert.equal(e.trace_ids, [TRACE]);
  assert.is(
    ((await explainRpc({ type: 'trace', id: TRACE })).value.payload as Explanation).cached,
    true,
  );
});

test('halolux site - concurrent questions about one story are worked out once', async () => {
  const job = { type: 'job', id: example('AnalysisReport').job_id } as const;
  const before = halo.stats.misses;
  const answers = await Promise.all(Array.from({ length: 5 }, () => explainRpc(job)));
  assert.is(halo.stats.misses - before, 1);
  const chains = answers.map((a) => (a.value.payload as Explanation).chain);
  for (const c of chains) assert.equal(c, chains[0]);
  assert.equal(chains[0]?.[0]?.stardust_ids, [ids.asset]);
  assert.equal(chains[0]?.[1]?.stardust_ids, [ids.analysis]);
});

test('halolux site - a malformed request gets an error reply and a dead letter', async () => {
  const dead: Envelope[] = [];
  const sub = site.nc.subscribe(subjects.dlq(SITE, 'halolux'), {
    callback: (_e, m) => {
      dead.push(decode(m.data, m.headers?.get('Content-Type') ?? undefined) as Envelope);
    },
  });
  try {
    await operator.request('halolux', 'explain', 'ExplainRequest', {
      subject: { type: 'clip', id: 'not-a-uuid' },
    } as never);
    assert.unreachable('the request is refused');
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_SCHEMA_INVALID'), String(e));
  }
  const t0 = Date.now();
  while (dead.length === 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  assert.is(dead[0]?.type, 'DeadLetter');
  assert.is(
    (dead[0]?.payload as { reason_code?: string } | undefined)?.reason_code,
    'OMNIVA_ERR_SCHEMA_INVALID',
  );
});

function omniva(args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const { NATS_URL: _n, OMNIVA_NATS__URL: _o, ...env } = process.env;
    const child = spawn(process.execPath, ['cli/omniva.mjs', 'explain', ...args], {
      env: { ...env, OMNIVA_LOG__LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test('halolux site - omniva explain prints the narrative, the cited chain, alternatives and completeness', async () => {
  const url = site.server.url;
  const r = await omniva([CLIP, '--url', url, '--site', SITE]);
  assert.is(r.code, 0, r.err);
  const rpc = (await explainRpc({ type: 'clip', id: CLIP })).value.payload as Explanation;
  const lines = r.out.split('\n');
  assert.ok(lines[0]?.startsWith(`Scraper ingested video ${VIDEO}`), lines[0]);
  for (const id of Object.values(ids)) assert.ok(r.out.includes(`cites ${id}`), `cites ${id}`);
  for (const text of [
    'chain (10 steps):',
    'alternatives (2):',
    '  - candidate 1 (95–118.25 s): ranked 2nd of 2',
    'completeness: 1',
    'missing (1):',
    `traces: ${TRACE}`,
  ]) {
    assert.ok(r.out.includes(text), `prints "${text}" in:\n${r.out}`);
  }
  const json = await omniva([CLIP, '--json', '--type', 'clip', '--url', url, '--site', SITE]);
  assert.is(json.code, 0, json.err);
  assert.equal(JSON.parse(json.out), { ...rpc, cached: false });
  const trace = await omniva([TRACE, '--json', '--url', url, '--site', SITE]);
  assert.equal((JSON.parse(trace.out) as Explanation).subject, { type: 'trace', id: TRACE });
  const none = await omniva([randomUUID(), '--url', url, '--site', SITE]);
  assert.is(none.code, 1);
  assert.match(none.err, /no packet names/);
  const bad = await omniva([CLIP, '--type', 'frame', '--url', url, '--site', SITE]);
  assert.is(bad.code, 2);
  assert.match(bad.err, /--type must be one of clip, trace, job, video/);
});

test('halolux site - a 600-packet story in a 3200-packet ledger is cut at 500 and answered in under 2 s', async () => {
  const clip = randomUUID();
  const trace = randomUUID();
  let parent = await advise(
    'zenith',
    'promotion',
    'ClipPromotion',
    { ...example('ClipPromotion'), clip_id: clip },
    [],
  );
  const noise: Promise<unknown>[] = [];
  for (let i = 0; i < 2_600; i++) {
    noise.push(
      site.ledger.append({
        kind: 'event',
        ref: `noise-${i}`,
        actor: 'scraper',
        trace_id: randomUUID(),
        entities: { video: [randomUUID()] },
        payload: { i },
      }),
    );
  }
  await Promise.all(noise);
  const first = parent;
  for (let i = 0; i < 599; i++) {
    const change = {
      ...example('ScheduleChange'),
      clip_id: clip,
      change: 'rescheduled',
      previous_slot: '2026-02-02T18:00:00Z',
      reason: `move ${i}`,
    };
    parent = await record(
      subjects.evt(SITE, 'scheduler', 'rescheduled'),
      'ScheduleChange',
      change,
      'scheduler',
      [parent],
      trace,
    );
  }
  const { value, ms } = await explainRpc({ type: 'clip', id: clip });
  const e = value.payload as Explanation;
  process.stdout.write(
    `  [halolux] 600-packet story cut to 500, ${(await site.ledger.store.state()).last}-packet ledger: ${ms.toFixed(1)} ms\n`,
  );
  assert.is(e.chain.length, 500);
  // Where the story began, and the latest of it.
  assert.is(e.chain[0]?.stardust_ids[0], first);
  assert.is(e.chain.at(-1)?.stardust_ids[0], parent);
  assert.ok(e.missing.includes('the story was cut at 500 packets; more of its lineage exists'));
  assert.ok(ms < 2_000, `answered in ${ms.toFixed(0)} ms`);
  const again = await explainRpc({ type: 'clip', id: clip });
  assert.is((again.value.payload as Explanation).cached, true);
  process.stdout.write(`  [halolux] same story from the cache: ${again.ms.toFixed(1)} ms\n`);
  // A fresh process: neither the lineage nor the trace index is built yet.
  const nc = await connect({ servers: site.server.url, noAsyncTraces: true });
  const ledger = await openLedger(nc, { site: SITE, log: silentLog, provision: false });
  const cold = createHaloLux(ledger);
  try {
    const c = await timed(() => cold.explain({ subject: { type: 'clip', id: clip } }));
    assert.equal(c.value, { ...e, cached: false });
    const t = await timed(() => cold.explain({ subject: { type: 'trace', id: trace } }));
    assert.is(t.value.chain.length, 500);
    process.stdout.write(
      `  [halolux] cold (indexes built on the question): clip ${c.ms.toFixed(1)} ms, trace ${t.ms.toFixed(1)} ms\n`,
    );
    assert.ok(c.ms < 2_000 && t.ms < 2_000, `cold answers in ${c.ms} / ${t.ms} ms`);
  } finally {
    cold.close();
    await ledger.close();
    await nc.close();
  }
});

test.run();
