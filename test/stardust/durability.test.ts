// R1: the server is killed (SIGKILL, as a crash) while appends are in flight and restarted on
// the same store. Every acknowledged packet must be there, the chain intact, and appends go on.
// (A machine crash is another matter: see the durability notes of the ledger.)
import { rmSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EmbeddedServer, startNatsServer } from '../../runtime/index.ts';
import { type AppendResult, openLedger } from '../../runtime/stardust/index.ts';
import { tempDir, waitFor } from '../support/nats.ts';
import { input, SITE, silentLog } from './support.ts';

const dir = tempDir('omniva-durable-');
let server: EmbeddedServer | undefined;
test.after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('stardust durability - a server crash loses no acknowledged packet; the chain goes on', async () => {
  server = await startNatsServer({ dir, domain: SITE });
  const port = server.port;
  const nc = await connect({
    servers: server.url,
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  const ledger = await openLedger(nc, { site: SITE, log: silentLog, ackTimeoutMs: 1_000 });
  try {
    const acked: AppendResult[] = [];
    let stop = false;
    const writers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        await ledger
          .record(input())
          .then((r) => acked.push(r))
          .catch(() => undefined);
      }
    });
    await waitFor(() => acked.length >= 2_000, 20_000);
    server.kill();
    const atKill = acked.length;
    await new Promise((r) => setTimeout(r, 300));
    server = await startNatsServer({ dir, domain: SITE, port });
    await waitFor(() => acked.length >= atKill + 500, 30_000);
    stop = true;
    await Promise.all(writers);
    await ledger.settle();

    for (const r of acked) {
      const e = await ledger.store.bySeq(r.seq);
      assert.is(e?.parsed.ok && e.parsed.packet.stardust_id, r.packet.stardust_id);
    }
    const v = await ledger.verify();
    assert.equal(v, { ok: true, count: acked.length });
  } finally {
    await ledger.close();
    await nc.close();
  }
});

test.run();
