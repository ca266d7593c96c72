import type { Command } from 'commander';
import type { ExplainCliOptions } from '../actions/explain.ts';

const HELP = `
<id> is a clip, job, video or trace id. Without --type the ledger decides: the first of clip,
job and video that a packet names, else a trace with that id.

Prints HaloLux's explanation, built only from Stardust packets: a narrative, then the chain of
steps (each citing the packets it rests on), the alternatives that lost, the completeness
score and what is missing. --json prints the Explanation document instead.

Connects to nats.url (config file, OMNIVA_NATS__URL or NATS_URL, or --url); when none is set,
to the embedded nats-server of the data directory (the one \`omniva run\` started, or a new one).
Exit 0 with an explanation, 1 when no packet names the id, 2 when the ledger cannot be read.`;

/** `omniva explain <id>`: why a clip, job, video or trace turned out as it did. */
export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('explain a clip, job, video or trace from the provenance ledger')
    .argument('<id>', 'clip, job, video or trace id')
    .option('--type <type>', 'what the id names: clip, trace, job or video (default: detect)')
    .option('--json', 'print the Explanation as JSON')
    .option('--site <site>', 'site whose ledger to read (default: site_id from config)')
    .option('--data-dir <dir>', 'data directory of the embedded server (default: data_dir)')
    .option('-c, --config <file>', 'config file (JSON)')
    .option('--url <url>', 'NATS server URL (default: nats.url from config or NATS_URL)')
    .addHelpText('after', HELP)
    .action(async (id: string, opts: ExplainCliOptions) => {
      const { explainCommand } = await import('../actions/explain.ts');
      await explainCommand(id, opts);
    });
}
