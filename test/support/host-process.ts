// A separate host process for crash and drain tests.
// argv: <nats url> <receipts dir>; env CRASH_BEFORE_ACK=1 kills the process with SIGKILL
// after the first message's side effect and snapshot, just before its ack.
// env SLOW_EFFECT_MS delays the receipt effect (to catch a drain mid-message).
import { connect } from '@nats-io/transport-node';
import { taskTrackerKind } from '../../actors/sample/index.ts';
import { drainOnSignals } from '../../runtime/index.ts';
import { silentLog, startHost } from './site.ts';

const [url, receiptsDir] = process.argv.slice(2) as [string, string];
const nc = await connect({ servers: url });
const base = taskTrackerKind({ receiptsDir });
const slowMs = Number(process.env.SLOW_EFFECT_MS ?? 0);
const kind = slowMs
  ? {
      ...base,
      effects: {
        'write-receipt': async (
          input: unknown,
          ctx: Parameters<NonNullable<typeof base.effects>[string]>[1],
        ) => {
          process.stdout.write('effect-started\n');
          await new Promise((r) => setTimeout(r, slowMs));
          return base.effects?.['write-receipt']?.(input, ctx);
        },
      },
    }
  : base;
const host = await startHost(nc, kind, {
  hostId: `proc-${process.pid}`,
  hooks: {
    beforeAck: () => {
      if (process.env.CRASH_BEFORE_ACK === '1') process.kill(process.pid, 'SIGKILL');
    },
  },
});
drainOnSignals(async () => {
  await host.drain();
  await nc.drain();
  process.stdout.write(`drained processed=${host.stats.processed}\n`);
}, silentLog);
process.stdout.write('ready\n');
