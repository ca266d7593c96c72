// Pantheon's optional model voter against a real HTTP exchange and a real site: nats-server,
// an actor host with a ledger, and a loopback node:http server that speaks the OpenAI
// chat-completions shape (or refuses, hangs, or talks nonsense). The done-when of the issue:
// with the external voter unreachable or too slow, the run still completes.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  askExternal,
  type ExternalRequest,
  type ExternalVoterConfig,
  pantheonKind,
} from '../../actors/cognitive/pantheon/index.ts';
import {
  type AnalysisReport,
  deriveMsgId,
  makeEnvelope,
  subjects,
  type VoteReport,
} from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { encodeEnvelope } from '../../runtime/internal/outbound.ts';
import { Recorder, stardustHeader } from '../../runtime/internal/recorder.ts';
import { example } from '../protocols/examples.ts';
import { type ControlSite, openControlSite } from '../support/control-site.ts';
import { waitFor } from '../support/nats.ts';
import { readStream, SITE, STREAMS, startHost } from '../support/site.ts';

let site: ControlSite;

type Mode = 'vote' | 'hang' | 'http500' | 'prose' | 'huge';
let mode: Mode = 'vote';
const seen: { url: string; auth: string | undefined; body: Record<string, unknown> }[] = [];
let llm: Server;
let llmUrl: string;

/** A tiny OpenAI-compatible model server: votes 0.9 on every candidate it is shown. */
async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as { messages: { content: string }[] };
  seen.push({ url: req.url ?? '', auth: req.headers.authorization, body });
  if (mode === 'hang') return; // never answers; the socket is destroyed in test.after
  if (mode === 'http500') return void res.writeHead(500).end('overloaded');
  const shown = JSON.parse(body.messages.at(-1)?.content ?? '{}') as ExternalRequest;
  const votes = shown.candidates.map((c) => ({
    candidate_index: c.candidate_index,
    vote: 0.9,
    confidence: 0.6,
    commentary: `tags ${c.tags.join('+')}`,
  }));
  const content =
    mode === 'prose'
      ? 'These all look lovely to me.'
      : mode === 'huge'
        ? 'x'.repeat(2 << 20)
        : `\`\`\`json\n${JSON.stringify(votes)}\n\`\`\``;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'cmpl-1',
      choices: [{ index: 0, message: { role: 'assistant', content } }],
    }),
  );
}

/** A loopback port that nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

test.before(async () => {
  site = await openControlSite();
  llm = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  llm.listen(0, '127.0.0.1');
  await once(llm, 'listening');
  llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}`;
});

test.after(async () => {
  llm.closeAllConnections();
  await new Promise((r) => llm.close(r));
  await site.close();
});

const uuid = (seed: string) => deriveMsgId(seed, 0);

/** An AnalysisReport with two candidates, published as the analyzer does (recorded first). */
async function publishAnalysis(job: string): Promise<{ report: AnalysisReport; stardust: string }> {
  const base = example('AnalysisReport');
  const cand = base.result
    .clip_candidates[0] as AnalysisReport['result']['clip_candidates'][number];
  const features = base.candidate_features[0] as AnalysisReport['candidate_features'][number];
  const report: AnalysisReport = {
    ...base,
    job_id: uuid(job),
    result: {
      ...base.result,
      clip_candidates: [cand, { ...cand, start_time: 50, end_time: 80, semantic_tags: ['crumb'] }],
    },
    candidate_features: [features, { ...features, start_time: 50, end_time: 80 }],
  };
  const envelope = makeEnvelope({
    type: 'AnalysisReport',
    site_id: SITE,
    payload: report,
    actor: 'analyzer',
  });
  const subject = subjects.evt(SITE, 'analyzer', 'analysis_ready');
  const stardust = await new Recorder(site.ledger, 'analyzer').record(subject, envelope);
  assert.ok(stardust, 'the analysis is in the ledger');
  const { data, headers } = encodeEnvelope(envelope, 'msgpack', stardustHeader(stardust));
  await jetstream(site.nc).publish(subject, data, { headers, msgID: envelope.msg_id });
  return { report, stardust };
}

/** Runs Pantheon with `external` until the report for `job` is out; returns it and the time. */
async function vote(job: string, external: ExternalVoterConfig) {
  const host = await startHost(site.nc, pantheonKind({ external, env: { LLM_KEY: 'sk-test' } }), {
    ledger: site.ledger,
  });
  try {
    const started = Date.now();
    const { stardust } = await publishAnalysis(job);
    const found = await waitFor(async () => {
      const all = await readStream(site.nc, STREAMS.evt, subjects.adv(SITE, 'pantheon', 'votes'));
      return all.find((m) => (m.envelope.payload as VoteReport).analysis_job_id === uuid(job));
    }, 15_000);
    return {
      found,
      report: found.envelope.payload as VoteReport,
      stardust,
      ms: Date.now() - started,
    };
  } finally {
    await host.drain();
  }
}

const personasOnly = (r: VoteReport) =>
  r.votes.every((v) =>
    ['explorer', 'hook_hunter', 'risk_guard', 'trend_chaser'].includes(v.agent),
  ) && r.votes.length === 8;

test("pantheon external - a working model server's votes join the report", async () => {
  mode = 'vote';
  seen.length = 0;
  const horizon = new SiteClient(site.nc, SITE, { actor: 'horizon', ledger: site.ledger });
  const guidance = await horizon.advise('horizon', 'guidance', 'HorizonGuidance', {
    guidance_id: uuid('guidance-1'),
    goal_window: '2026-W48',
    topic_weights: { crumb: 0.7 },
    slot_weights: [],
    drift: [],
  });
  const external = {
    base_url: `${llmUrl}/`,
    model: 'tiny',
    timeout_ms: 5_000,
    api_key_ref: 'env:LLM_KEY',
  };
  const { found, report, stardust } = await vote('job-ok', external);
  assert.is(seen.length, 1, 'asked once');
  assert.is(seen[0]?.url, '/v1/chat/completions');
  assert.is(seen[0]?.auth, 'Bearer sk-test', 'the key reference was resolved');
  assert.equal([seen[0]?.body.model, seen[0]?.body.temperature], ['tiny', 0]);
  const ext = report.votes.filter((v) => v.agent === 'external_llm');
  assert.equal(
    ext.map((v) => [v.candidate_index, v.vote, v.confidence]),
    [
      [0, 0.9, 0.6],
      [1, 0.9, 0.6],
    ],
  );
  assert.match(ext[1]!.commentary, /tags crumb/);
  assert.equal(report.voters.at(-1)?.status, 'voted');
  assert.is(report.votes.length, 10, '4 personas + the model, 2 candidates');
  assert.equal(
    found.envelope._meta_parents,
    [stardust, guidance.stardust_id],
    'cites analysis and guidance',
  );
});

test('pantheon external - an unreachable voter: the run still completes with the four personas', async () => {
  const port = await closedPort();
  const { report, ms } = await vote('job-refused', {
    base_url: `http://127.0.0.1:${port}`,
    model: 'tiny',
    timeout_ms: 3_000,
  });
  const voter = report.voters.at(-1);
  assert.equal([voter?.agent, voter?.status], ['external_llm', 'failed']);
  assert.match(voter?.detail ?? '', /ECONNREFUSED/, 'the detail says why');
  assert.ok(personasOnly(report), 'four personas on two candidates, no model votes');
  assert.is(report.ranking.length, 2);
  assert.ok(ms < 10_000, `completed in ${ms} ms`);
});

test('pantheon external - a voter that hangs past its timeout is reported as timeout', async () => {
  mode = 'hang';
  seen.length = 0;
  const { report, ms } = await vote('job-hang', {
    base_url: llmUrl,
    model: 'tiny',
    timeout_ms: 400,
  });
  assert.is(seen.length, 1, 'the server was asked and never answered');
  assert.equal(report.voters.at(-1)?.status, 'timeout');
  assert.match(report.voters.at(-1)?.detail ?? '', /within 400 ms/);
  assert.ok(personasOnly(report));
  assert.ok(ms >= 400 && ms < 10_000, `waited the timeout, not forever: ${ms} ms`);
});

test('pantheon external - HTTP errors, prose, oversize replies and a missing key fail cleanly', async () => {
  const req: ExternalRequest = {
    analysis_job_id: uuid('direct'),
    topic_weights: {},
    candidates: [{ candidate_index: 0, start_time: 0, end_time: 20, tags: ['a'], features: {} }],
  };
  const cfg = { base_url: llmUrl, model: 'tiny', timeout_ms: 3_000 };
  for (const [m, detail] of [
    ['http500', /HTTP 500/],
    ['prose', /not a JSON array/],
    ['huge', /larger than/],
  ] as const) {
    mode = m;
    const out = await askExternal(cfg, req);
    assert.is(out.status, 'failed', m);
    assert.match(out.status === 'failed' ? out.detail : '', detail);
  }
  mode = 'vote';
  assert.is((await askExternal(cfg, req)).status, 'voted', 'the same server, answering properly');
  const { report } = await vote('job-nokey', { ...cfg, api_key_ref: 'env:NOT_SET' });
  assert.equal(report.voters.at(-1)?.status, 'failed');
  assert.match(report.voters.at(-1)?.detail ?? '', /env:NOT_SET/);
  assert.not.match(report.voters.at(-1)?.detail ?? '', /sk-test/);
});

test.run();
