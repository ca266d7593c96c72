// Stardust benchmark: ledger appends against raw JetStream publishes of same-size JSON bodies,
// on one embedded server, in one run.
//
//   npx tsx scripts/bench/stardust.ts                 (defaults)
//   npx tsx scripts/bench/stardust.ts --msgs 20000 --window 512 --seq 1000 --json
//
// Throughput: `--msgs` messages with at most `--window` unacknowledged, raw and ledger rounds
// alternating (`--rounds`), median of each. Latency: `--seq` one-at-a-time publishes versus
// one-at-a-time appends, interleaved. Figures are machine-bound; compare the ratios.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { createLogger, startNatsServer } from '../../runtime/index.ts';
import {
  type AppendInput,
  buildPacket,
  encodePacket,
  openLedger,
} from '../../runtime/stardust/index.ts';

const { values: args } = parseArgs({
  options: {
    msgs: { type: 'string', default: '10000' },
    window: { type: 'string', default: '512' },
    seq: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    sync: { type: 'string', default: 'default' },
    json: { type: 'boolean', default: false },
  },
});
const MSG_N = Number(args.msgs);
const WINDOW = Number(args.window);
const SEQ_N = Number(args.seq);
const ROUNDS = Number(args.rounds);
const SITE = 'bench';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const median = (xs: number[]) =>
  pct(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** What a runtime records for one message it handled: references only. */
function sampleInput(i: number, parent?: string): AppendInput {
  return {
    kind: 'event',
    ref: randomUUID(),
    actor: 'editor',
    trace_id: randomUUID(),
    ...(parent ? { _meta_parents: [parent] } : {}),
    entities: { video: [randomUUID()], clip: [randomUUID()], job: [randomUUID()] },
    payload: {
      type: 'EditJob',
      msg_id: randomUUID(),
      subject: `omniva.${SITE}.cmd.editor`,
      output_uri: `media://sha256/${randomUUID().replaceAll('-', '')}`,
      n: i,
    },
  };
}

async function windowed(n: number, start: (i: number) => Promise<unknown>): Promise<number> {
  const t = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p = start(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return n / ((performance.now() - t) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'omniva-bench-stardust-'));
const server = await startNatsServer({ dir, domain: SITE, syncInterval: args.sync });
const nc = await connect({ servers: server.url, noAsyncTraces: true });
try {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: 'BENCH_RAW',
    subjects: ['bench.raw.>'],
    storage: StorageType.File,
    duplicate_window: 86_400e9,
  });
  const js = jetstream(nc);
  const ledger = await openLedger(nc, {
    site: SITE,
    log: createLogger({ level: 'silent' }),
    maxInFlight: WINDOW,
  });
  // Raw bodies as long as a real packet, so both sides move the same bytes.
  const sample = encodePacket(
    buildPacket(SITE, sampleInput(0, randomUUID()), randomUUID(), new Date().toISOString()),
  );
  const body = new TextEncoder().encode(
    JSON.stringify({ pad: '' }).replace('""', `"${'x'.repeat(sample.byteLength - 10)}"`),
  );
  const rawPublish = (i: number) => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', randomUUID());
    h.set('Content-Type', 'application/json');
    return js.publish(`bench.raw.e.${i}`, body, { headers: h });
  };
  let last: string | undefined;
  const append = (i: number) =>
    ledger.append(sampleInput(i, last)).then((p) => {
      last = p.stardust_id;
    });

  // Warm-up both paths (JIT, stream files).
  await windowed(2_000, rawPublish);
  await windowed(2_000, append);

  const raw: number[] = [];
  const led: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(await windowed(MSG_N, rawPublish));
    led.push(await windowed(MSG_N, append));
  }

  const lat = { raw: [] as number[], ledger: [] as number[] };
  const slices = 10;
  for (let s = 0; s < slices; s++) {
    for (let i = 0; i < SEQ_N / slices; i++) {
      let t = process.hrtime.bigint();
      await rawPublish(i);
      lat.raw.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      await append(i);
      lat.ledger.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  lat.raw.sort((a, b) => a - b);
  lat.ledger.sort((a, b) => a - b);
  const verifyStart = performance.now();
  const verified = await ledger.verify();
  const verifyMs = performance.now() - verifyStart;
  await ledger.close();

  const rawRate = median(raw);
  const ledgerRate = median(led);
  const result = {
    server: `nats-server ${server.version}`,
    sync_interval: args.sync,
    body_bytes: body.byteLength,
    packet_bytes: sample.byteLength,
    messages_per_round: MSG_N,
    rounds: ROUNDS,
    window: WINDOW,
    throughput: {
      raw_js_publish_per_s: Math.round(rawRate),
      ledger_append_per_s: Math.round(ledgerRate),
      ratio: ledgerRate / rawRate,
      raw_rounds: raw.map(Math.round),
      ledger_rounds: led.map(Math.round),
    },
    sequential: {
      count: SEQ_N,
      raw_p50_ms: pct(lat.raw, 50),
      ledger_p50_ms: pct(lat.ledger, 50),
      p50_ratio: pct(lat.ledger, 50) / pct(lat.raw, 50),
      raw_p99_ms: pct(lat.raw, 99),
      ledger_p99_ms: pct(lat.ledger, 99),
    },
    verify: {
      ok: verified.ok,
      packets: verified.count,
      ms: Math.round(verifyMs),
    },
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const t = result.throughput;
    const s = result.sequential;
    process.stdout.write(
      [
        `${result.server}, sync_interval ${result.sync_interval}, ${result.packet_bytes}-byte packets, window ${WINDOW}`,
        `throughput  raw ${t.raw_js_publish_per_s}/s  ledger ${t.ledger_append_per_s}/s  ratio ${t.ratio.toFixed(2)} (target >= 0.50)`,
        `latency p50 raw ${s.raw_p50_ms.toFixed(3)} ms  ledger ${s.ledger_p50_ms.toFixed(3)} ms  ratio ${s.p50_ratio.toFixed(2)}`,
        `verify      ${result.verify.ok ? 'ok' : 'BROKEN'} ${result.verify.packets} packets in ${result.verify.ms} ms`,
        '',
      ].join('\n'),
    );
  }
} finally {
  await nc.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
