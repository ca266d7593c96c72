// The lineage index from a cold start on a 100,000-packet ledger: built by reading the stream,
// then queried. Prints the figures; asserts a generous bound (the target is < 2 s).
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openLedger, type StardustPacket } from '../../runtime/stardust/index.ts';
import { input, type Rig, SITE, silentLog, startRig } from './support.ts';

const N = Number(process.env.OMNIVA_TEST_STARDUST_PACKETS ?? 100_000);
let rig: Rig;
test.before(async () => {
  rig = await startRig({ maxInFlight: 1024 });
});
test.after(async () => {
  await rig?.close();
});

test(`stardust lineage scale - ${N} packets: cold index build and queries`, async () => {
  const videos = Array.from({ length: 500 }, () => randomUUID());
  const recent: string[] = [];
  let deepest: StardustPacket | undefined;
  const t0 = performance.now();
  const BATCH = 2_000;
  for (let start = 0; start < N; start += BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      // Each packet descends from one or two recent ones: long, branching lineages.
      const parents = recent.length > 0 ? [recent[recent.length - 1]!] : [];
      if (i % 7 === 0 && recent.length > 50) parents.push(recent[recent.length - 50]!);
      batch.push(
        rig.ledger.append(
          input({
            actor: ['scraper', 'analyzer', 'editor', 'uploader'][i % 4]!,
            ...(i % 100 === 0 ? {} : { _meta_parents: parents }),
            entities: { video: [videos[i % videos.length]!], job: [`job-${i}`] },
          }),
        ),
      );
      // Parents must be known before they are named: take ids as they land, batch by batch.
      if (i % BATCH === BATCH - 1) break;
    }
    const done = await Promise.all(batch);
    recent.push(...done.map((p) => p.stardust_id));
    if (recent.length > 200) recent.splice(0, recent.length - 200);
    deepest = done[done.length - 1];
  }
  const appendMs = performance.now() - t0;

  // Cold start: a new connection and ledger, nothing cached.
  const nc = await connect({ servers: rig.server.url, noAsyncTraces: true });
  try {
    const t1 = performance.now();
    const ledger = await openLedger(nc, { site: SITE, log: silentLog, provision: false });
    const index = await ledger.lineage.ready();
    const buildMs = performance.now() - t1;
    const t2 = performance.now();
    const ancestors = await ledger.lineage.ancestors(deepest!.stardust_id);
    const descendants = await ledger.lineage.descendants(
      ancestors[ancestors.length - 1]!.node.stardust_id,
    );
    const byVideo = await ledger.lineage.byEntity('video', videos[3]!);
    const queryMs = performance.now() - t2;
    await ledger.close();

    process.stdout.write(
      `\n  ${N} packets: appended in ${(appendMs / 1000).toFixed(1)} s; cold index ${buildMs.toFixed(0)} ms` +
        ` (${index.size} packets); queries ${queryMs.toFixed(1)} ms` +
        ` (ancestors ${ancestors.length}, descendants ${descendants.length}, by video ${byVideo.length});` +
        ` total ${(buildMs + queryMs).toFixed(0)} ms\n`,
    );
    assert.is(index.size, N);
    assert.ok(ancestors.length > 50);
    assert.ok(descendants.length > 0);
    assert.is(byVideo.length, N / 500);
    assert.ok(buildMs + queryMs < 10_000, `cold index + queries took ${buildMs + queryMs} ms`);
  } finally {
    await nc.close();
  }
});

test.run();
