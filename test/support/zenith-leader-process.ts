// A minimal Zenith-like leader for failover tests, run as its own process.
// argv: <nats url> <holder id>. While it holds the lease it publishes a probe command every
// 100 ms on omniva.test.cmd.probe, stamped with its epoch, with Nats-Msg-Id <epoch>-<seq>.
// env ZENITH_TRUST_EPOCH=1 models a leader without the self-check: it keeps stamping the
// epoch it acquired even after losing the lease, so only the receivers' EpochGuard stops it.
// Every line it prints is an event the test reads: ready, acquired, lost, sent.
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { subjects, type ZenithCommandMeta } from '../../protocols/index.ts';
import { Lease } from '../../runtime/lease.ts';

const [url, holder] = process.argv.slice(2) as [string, string];
const trustEpoch = process.env.ZENITH_TRUST_EPOCH === '1';
const say = (line: string) => process.stdout.write(`${line}\n`);

const nc = await connect({ servers: url, name: holder, maxReconnectAttempts: 20 });
nc.closed().then(() => process.exit(0));
const js = jetstream(nc);
let acquiredEpoch: number | undefined;
let seq = 0;

const lease = new Lease({
  nc,
  site: 'test',
  holder,
  onAcquired: (epoch) => {
    acquiredEpoch = epoch;
    say(`acquired ${epoch}`);
  },
  onLost: (reason, epoch) => say(`lost ${reason} ${epoch}`),
});
await lease.start();

function tick(): void {
  // The check a real Zenith makes right before stamping a command.
  const epoch = trustEpoch ? acquiredEpoch : lease.epoch;
  if (epoch === undefined) return;
  seq += 1;
  const meta: ZenithCommandMeta = {
    epoch,
    issued_by: holder,
    evidence: ['0b8e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e'],
    rollback: { action: 'none', notes: 'probe commands change nothing' },
  };
  const h = headers();
  h.set('Omniva-Epoch', String(epoch));
  say(`sent ${epoch} ${seq}`);
  js.publish(subjects.cmd('test', 'probe'), JSON.stringify({ meta, seq }), {
    headers: h,
    msgID: `${epoch}-${seq}`,
  }).catch((e: unknown) => say(`publish-failed ${epoch} ${seq} ${(e as Error).message}`));
}

const timer = setInterval(tick, 100);
// The test holds our stdin open; if it dies without stopping us, we go too rather than linger.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', async () => {
  clearInterval(timer);
  await lease.stop();
  await nc.drain();
  process.exit(0);
});
say('ready');
