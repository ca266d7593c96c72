import { type ChildProcess, spawn } from 'node:child_process';
import { AckPolicy, type ConsumerMessages, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subjects, validateContract, type ZenithCommandMeta } from '../../protocols/index.ts';
import { EpochGuard, provisionEpochs } from '../../runtime/fencing.ts';
import { DEFAULT_LEASE_TTL_MS, provisionLeases } from '../../runtime/lease.ts';
import { STREAMS } from '../../runtime/provision.ts';
import { startTestServer, type TestServer, waitFor } from '../support/nats.ts';
import { connectSite } from '../support/site.ts';
import { sleep } from '../support/zenith-clock.ts';

const TTL = DEFAULT_LEASE_TTL_MS;
let server: TestServer;
let nc: NatsConnection;
let messages: ConsumerMessages;
const procs: Leader[] = [];

interface Verdict {
  id: string;
  epoch: number;
  seq: number;
  ok: boolean;
  reason?: string;
  code?: string;
}
/** Every command the receiver judged, in the order it judged them. */
const verdicts: Verdict[] = [];
const accepted = () => verdicts.filter((v) => v.ok);

interface Leader {
  holder: string;
  child: ChildProcess;
  lines: () => string[];
  exited: Promise<unknown>;
}

function spawnLeader(holder: string, env: Record<string, string> = {}): Leader {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/zenith-leader-process.ts', server.url, holder],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise((r) => child.on('exit', r));
  const leader = { holder, child, lines: () => out.split('\n').filter(Boolean), exited };
  procs.push(leader);
  return leader;
}

const acquiredEpoch = (l: Leader, after = 0): number | undefined => {
  const line = l
    .lines()
    .slice(after)
    .find((x) => x.startsWith('acquired '));
  return line ? Number(line.split(' ')[1]) : undefined;
};

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    p.child.kill('SIGCONT');
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), 3_000);
    await p.exited;
    clearTimeout(t);
  }
}

/** The receiving side: every probe command goes through an EpochGuard, then is acked. */
async function startReceiver(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(STREAMS.cmd, {
    durable_name: 'probe',
    filter_subject: subjects.cmd('test', 'probe'),
    ack_policy: AckPolicy.Explicit,
  });
  const guard = new EpochGuard({ nc, site: 'test', receiver: 'probe' });
  await guard.start();
  messages = await (await jetstream(nc).consumers.get(STREAMS.cmd, 'probe')).consume();
  (async () => {
    for await (const m of messages) {
      const { meta, seq } = m.json<{ meta: ZenithCommandMeta; seq: number }>();
      assert.ok(validateContract('ZenithCommandMeta', meta).ok, 'the stamp is a valid contract');
      const r = await guard.check(meta.epoch);
      const id = `${meta.epoch}-${seq}`;
      verdicts.push(
        r.ok
          ? { id, epoch: meta.epoch, seq, ok: true }
          : { id, epoch: meta.epoch, seq, ok: false, reason: r.rejected, code: r.error.code },
      );
      m.ack();
    }
  })().catch((e) => {
    process.stderr.write(`receiver failed: ${e}\n`);
  });
}

test.before(async () => {
  server = await startTestServer({ domain: 'test' });
  nc = await connectSite(server.url, 'test');
  await provisionLeases(nc, { ttlMs: TTL });
  await provisionEpochs(nc);
  await startReceiver();
});

test.after(async () => {
  await stopAll();
  messages?.stop();
  await nc?.close();
  await server?.cleanup();
});

test.after.each(stopAll);

test('failover - SIGKILL the leader: the standby takes over within the bound, epochs grow', async () => {
  const figures: number[] = [];
  let leader = spawnLeader('zenith-0');
  await waitFor(() => acquiredEpoch(leader), 15_000);
  for (let round = 1; round <= 3; round++) {
    const standby = spawnLeader(`zenith-${round}`);
    await waitFor(() => standby.lines().includes('ready'), 15_000);
    const oldEpoch = acquiredEpoch(leader) as number;
    await waitFor(() => accepted().filter((v) => v.epoch === oldEpoch).length >= 3, 5_000);
    // Kill at a random point of the renewal cycle, so the figures cover its whole range.
    await sleep(Math.random() * 1_000);
    const killedAt = performance.now();
    leader.child.kill('SIGKILL');
    const newEpoch = await waitFor(() => acquiredEpoch(standby), TTL + 5_000, 5);
    const failover = performance.now() - killedAt;
    figures.push(Math.round(failover));
    assert.ok(newEpoch > oldEpoch, `epoch ${newEpoch} > ${oldEpoch}`);
    // The key outlives the leader by up to one TTL after its last renewal, plus one poll.
    assert.ok(failover < TTL + 1_500, `failover took ${Math.round(failover)} ms`);
    await waitFor(() => accepted().some((v) => v.epoch === newEpoch), 3_000);
    leader = standby;
  }
  process.stdout.write(
    `failover (SIGKILL → standby acquired), TTL ${TTL} ms: ${figures.join(', ')} ms\n`,
  );
  const ids = accepted().map((v) => v.id);
  assert.is(new Set(ids).size, ids.length, 'no command accepted twice');
  assert.equal(
    verdicts.filter((v) => !v.ok),
    [],
  );
});

async function pauseScenario(env: Record<string, string>) {
  const old = spawnLeader('zenith-old', env);
  const oldEpoch = await waitFor(() => acquiredEpoch(old), 15_000);
  const standby = spawnLeader('zenith-new');
  await waitFor(() => standby.lines().includes('ready'), 15_000);
  await waitFor(() => accepted().filter((v) => v.epoch === oldEpoch).length >= 3, 5_000);

  old.child.kill('SIGSTOP');
  const stoppedAt = performance.now();
  const newEpoch = await waitFor(() => acquiredEpoch(standby), TTL + 5_000, 5);
  await waitFor(() => accepted().filter((v) => v.epoch === newEpoch).length >= 3, 5_000);
  await sleep(Math.max(0, stoppedAt + TTL + 1_000 - performance.now()));
  const mark = old.lines().length;
  const judgedBefore = verdicts.length;
  old.child.kill('SIGCONT');
  await sleep(1_500);
  return { oldEpoch, newEpoch, afterWake: old.lines().slice(mark), judgedBefore };
}

function assertNoStaleAcceptance(oldEpoch: number, newEpoch: number): void {
  const firstNew = verdicts.findIndex((v) => v.ok && v.epoch === newEpoch);
  const lateOld = verdicts.slice(firstNew).filter((v) => v.ok && v.epoch === oldEpoch);
  assert.equal(lateOld, [], 'nothing from the old epoch accepted once the new one was');
  const ids = accepted().map((v) => v.id);
  assert.is(new Set(ids).size, ids.length, 'no command accepted twice');
}

test('failover - a leader paused past its TTL wakes up knowing it lost and sends nothing', async () => {
  const { oldEpoch, newEpoch, afterWake } = await pauseScenario({});
  assert.ok(newEpoch > oldEpoch);
  assert.ok(afterWake.includes(`lost expired ${oldEpoch}`), afterWake.join(' | '));
  assert.equal(
    afterWake.filter((l) => l.startsWith('sent ')),
    [],
    'the old leader issued nothing after waking',
  );
  assert.not.ok(
    afterWake.some((l) => l.startsWith('acquired ')),
    'it did not take the lease back',
  );
  assertNoStaleAcceptance(oldEpoch, newEpoch);
});

test('failover - a paused leader that ignores its clock is fenced by the receivers', async () => {
  const { oldEpoch, newEpoch, afterWake, judgedBefore } = await pauseScenario({
    ZENITH_TRUST_EPOCH: '1',
  });
  const sent = afterWake.filter((l) => l.startsWith(`sent ${oldEpoch} `));
  assert.ok(sent.length >= 3, `it kept sending under epoch ${oldEpoch}: ${sent.length}`);
  await waitFor(() => {
    const judged = new Set(verdicts.slice(judgedBefore).map((v) => v.id));
    return sent.every((l) => judged.has(l.slice(5).replace(' ', '-')));
  }, 5_000);
  const late = verdicts.slice(judgedBefore).filter((v) => v.epoch === oldEpoch);
  assert.ok(late.length >= sent.length);
  for (const v of late) {
    assert.is(v.ok, false, `${v.id} must be refused`);
    assert.is(v.code, 'OMNIVA_ERR_STALE_EPOCH');
    assert.match(v.reason ?? '', `stale epoch ${oldEpoch}: probe has already accepted epoch`);
  }
  assert.ok(accepted().filter((v) => v.epoch === newEpoch).length >= 3, 'the new leader worked');
  assertNoStaleAcceptance(oldEpoch, newEpoch);
});

test.run();
