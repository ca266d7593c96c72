import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startNatsServer } from '../../runtime/index.ts';
import { openLedger, STARDUST_STREAM, type StardustPacket } from '../../runtime/stardust/index.ts';
import { startTestServer, tempDir } from '../support/nats.ts';
import { input, type Rig, SITE, silentLog, startRig } from './support.ts';

function omniva(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const { NATS_URL: _n, OMNIVA_NATS__URL: _o, ...base } = process.env;
    const child = spawn(process.execPath, ['cli/omniva.mjs', 'stardust', ...args], {
      env: { ...base, OMNIVA_SITE_ID: SITE, OMNIVA_LOG__LEVEL: 'warn', ...env },
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

let rig: Rig;
const chain: StardustPacket[] = [];
const video = 'a5c7e0f2-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
test.before(async () => {
  rig = await startRig();
  chain.push(await rig.ledger.append(input({ actor: 'scraper', entities: { video: [video] } })));
  chain.push(
    await rig.ledger.append(
      input({
        actor: 'analyzer',
        _meta_parents: [chain[0]!.stardust_id],
        entities: { video: [video], clip: ['c1'] },
        payload: { score: 0.9, uri: 'media://sha256/ab' },
      }),
    ),
  );
  chain.push(
    await rig.ledger.append(
      input({ kind: 'arbitration', actor: 'zenith', _meta_parents: [chain[1]!.stardust_id] }),
    ),
  );
});
const dirs: string[] = [];
const scratch = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
test.after(async () => {
  await rig?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('stardust cli - every subcommand has --help', async () => {
  for (const sub of [[], ['verify'], ['show'], ['lineage']]) {
    const r = await omniva([...sub, '--help']);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^Usage: omniva stardust/m);
  }
});

test('stardust cli - verify: exit 0 and the packet count on an intact chain', async () => {
  const r = await omniva(['verify'], { NATS_URL: rig.server.url });
  assert.is(r.code, 0, r.err);
  assert.is(r.out, 'ok: 3 packets, chain intact\n');
  const j = await omniva(['verify', '--json', '--url', rig.server.url]);
  assert.equal(JSON.parse(j.out), { site: SITE, ok: true, count: 3 });
});

test('stardust cli - show: a readable packet with parents and children', async () => {
  const p = chain[1]!;
  const r = await omniva(['show', p.stardust_id], { NATS_URL: rig.server.url });
  assert.is(r.code, 0, r.err);
  for (const line of [
    `stardust  ${p.stardust_id}`,
    'kind      event',
    `ref       ${p.ref}`,
    'actor     analyzer',
    `trace     ${p.trace_id}`,
    `time      ${p.recorded_at}`,
    // Stored canonical (RFC 8785): keys in code-unit order.
    'entities  clip: c1',
    `          video: ${video}`,
    `parents   event by scraper  ${chain[0]!.stardust_id}`,
    `children  arbitration by zenith  ${chain[2]!.stardust_id}`,
    '"score": 0.9',
  ]) {
    assert.ok(r.out.includes(line), `shows "${line}" in:\n${r.out}`);
  }
  const missing = await omniva(['show', '00000000-0000-8000-8000-000000000000'], {
    NATS_URL: rig.server.url,
  });
  assert.is(missing.code, 1);
  assert.match(missing.err, /no packet/);
});

test('stardust cli - lineage: ancestry and descendants as trees, by id or by entity', async () => {
  const r = await omniva(['lineage', chain[1]!.stardust_id], { NATS_URL: rig.server.url });
  assert.is(r.code, 0, r.err);
  const lines = r.out.split('\n');
  const anc = lines.indexOf('ancestry (what it came from):');
  const desc = lines.indexOf('descendants (what came of it):');
  assert.ok(anc >= 0 && desc > anc, r.out);
  assert.match(lines[anc + 1]!, /^event by analyzer /);
  assert.match(lines[anc + 2]!, /^ {2}└─ event by scraper /);
  assert.match(lines[desc + 2]!, /^ {2}└─ arbitration by zenith /);

  const byEntity = await omniva(['lineage', `video:${video}`], { NATS_URL: rig.server.url });
  assert.is(byEntity.code, 0, byEntity.err);
  assert.match(byEntity.out, new RegExp(`^2 packet\\(s\\) name video ${video}`));
  assert.ok(byEntity.out.includes('└─ arbitration by zenith'));

  const bad = await omniva(['lineage', 'nonsense'], { NATS_URL: rig.server.url });
  assert.is(bad.code, 2);
});

test('stardust cli - verify: exit 1 and the first broken link after tampering', async () => {
  const jsm = await jetstreamManager(rig.nc);
  const seq = (await rig.ledger.store.byRef(chain[1]!.kind, chain[1]!.ref))!.seq;
  await jsm.streams.deleteMessage(STARDUST_STREAM, seq);
  const r = await omniva(['verify'], { NATS_URL: rig.server.url });
  assert.is(r.code, 1, r.err);
  assert.match(
    r.out,
    new RegExp(`^broken at sequence ${seq}: packet at sequence ${seq} is missing`),
  );
  assert.ok(r.out.includes(`stardust_id: ${chain[1]!.stardust_id}`));
});

test('stardust cli - without a URL: the data directory embedded server, running or not', async () => {
  const dataDir = scratch();
  const server = await startNatsServer({ dir: join(dataDir, 'nats'), domain: SITE });
  try {
    const nc = await connect({ servers: server.url });
    const ledger = await openLedger(nc, { site: SITE, log: silentLog });
    await ledger.append(input());
    await ledger.close();
    await nc.close();
    // `omniva run` is up: the CLI joins its server rather than start a second on the store.
    const running = await omniva(['verify', '--data-dir', dataDir]);
    assert.is(running.code, 0, running.err);
    assert.is(running.out, 'ok: 1 packets, chain intact\n');
  } finally {
    await server.stop();
  }
  // Nothing running: it starts the embedded server itself, as `omniva run` would.
  const cold = await omniva(['verify', '--data-dir', dataDir]);
  assert.is(cold.code, 0, cold.err);
  assert.is(cold.out, 'ok: 1 packets, chain intact\n');
  // A fresh data directory: the site is provisioned on start, its ledger empty.
  const fresh = await omniva(['verify', '--data-dir', scratch()]);
  assert.is(fresh.code, 0, fresh.err);
  assert.is(fresh.out, 'ok: 0 packets, chain intact\n');
});

test('stardust cli - a server without the ledger stream: exit 2 and why', async () => {
  const bare = await startTestServer({ domain: SITE });
  try {
    const r = await omniva(['verify', '--url', bare.url]);
    assert.is(r.code, 2);
    assert.match(r.err, /site "test" has no ledger \(no STARDUST stream\)/);
  } finally {
    await bare.cleanup();
  }
});

test.run();
