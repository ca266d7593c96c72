import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskTrackerKind } from '../../actors/sample/index.ts';
import { type Envelope, subjects } from '../../protocols/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { bootSite, startHosts } from '../internal/boot.ts';

const SAMPLE_TEXTS = [
  'Welcome back to the channel, today we take apart a tiny actor runtime.',
  'Every message is validated, recorded and acknowledged exactly once.',
  'Crash it halfway and it picks up where it left off.',
];

export interface DemoOptions {
  dataDir: string;
  config?: string;
}

/** Runs the quick start's main job and writes run_summary.json under the data dir. */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const t0 = Date.now();
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const stages: Record<string, number> = {};
  const errors: string[] = [];
  const booted = await bootSite({
    ...(opts.config ? { configFile: opts.config } : {}),
    overrides: { data_dir: opts.dataDir },
  });
  const { config } = booted;
  stages.boot_ms = Date.now() - t0;
  say(
    `• site "${config.site_id}" up on ${booted.site.server ? `embedded nats-server ${booted.site.server.version} at ${booted.site.server.url}` : config.nats.url}`,
  );
  const receiptsDir = join(config.data_dir, 'receipts');
  const app = await startHosts(booted, [taskTrackerKind({ receiptsDir })]);
  const client = new SiteClient(app.site.nc, config.site_id, {
    codec: config.codec,
    actor: 'demo',
  });
  try {
    const creator = crypto.randomUUID();
    const done: Envelope[] = [];
    const sub = client.watch(subjects.evt(config.site_id, 'task-tracker', 'task_done'), (env) => {
      done.push(env);
      say(`  ✓ task_done #${done.length} (trace ${env.trace_id})`);
    });
    const t1 = Date.now();
    for (const text of SAMPLE_TEXTS) {
      const task_id = crypto.randomUUID();
      await client.command('task-tracker', 'SampleTask', {
        task_id,
        creator_id: creator,
        text,
        requested_at: new Date().toISOString(),
      });
      say(`• sent SampleTask ${task_id}`);
    }
    const deadline = Date.now() + 30_000;
    while (done.length < SAMPLE_TEXTS.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    stages.process_ms = Date.now() - t1;
    if (done.length < SAMPLE_TEXTS.length)
      errors.push(`only ${done.length} of ${SAMPLE_TEXTS.length} tasks finished`);

    const status = await client.request('task-tracker', 'status', 'StatusQuery', {
      instance_key: creator,
    });
    say(`• status of task-tracker/${creator}: ${JSON.stringify(status.payload)}`);

    await app.site.ledger.settle();
    const ledger = await app.site.ledger.verify();
    if (!ledger.ok) errors.push(`ledger chain broken at sequence ${ledger.seq}: ${ledger.reason}`);
    say(
      ledger.ok
        ? `• ledger: ${ledger.count} Stardust packets, chain intact (omniva stardust verify --data-dir ${config.data_dir})`
        : `• ledger: chain broken at sequence ${ledger.seq}`,
    );
    const summary = {
      ok: errors.length === 0,
      site_id: config.site_id,
      data_dir: config.data_dir,
      nats: booted.site.server
        ? { embedded: true, version: booted.site.server.version }
        : { embedded: false },
      stage_ms: { ...stages, total_ms: Date.now() - t0 },
      counts: {
        sent: SAMPLE_TEXTS.length,
        done: done.length,
        dead_lettered: app.hosts[0]?.stats.dead_lettered ?? 0,
      },
      receipts: join(receiptsDir, 'receipts.log'),
      ledger: ledger.ok
        ? { packets: ledger.count, chain: 'intact' }
        : { chain: 'broken', at: ledger.seq },
      status: status.payload,
      errors,
    };
    writeFileSync(
      join(config.data_dir, 'run_summary.json'),
      `${JSON.stringify(summary, null, 2)}\n`,
    );
    say(`• receipts: ${summary.receipts}`);
    say(`• summary:  ${join(config.data_dir, 'run_summary.json')}`);
    say(`• logs:     ${join(config.data_dir, 'logs', 'omniva.log')}`);
    say(
      errors.length === 0
        ? `done in ${summary.stage_ms.total_ms} ms`
        : `finished with errors: ${errors.join('; ')}`,
    );
    if (errors.length > 0) process.exitCode = 1;
  } finally {
    await app.shutdown();
  }
}
