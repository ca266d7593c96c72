import type { Command } from 'commander';
import type { StardustCliOptions } from '../actions/stardust.ts';

const CONNECT_HELP = `
Connects to nats.url (config file, OMNIVA_NATS__URL or NATS_URL); when none is set, to the
embedded nats-server of the data directory (the one \`omniva run\` started, or a new one).`;

const VERIFY_HELP = `${CONNECT_HELP}

Walks the ledger from its first packet: every id must recompute from the packet's content,
every prev must name the packet before it, and no sequence may be missing.
Exit 0 and "ok: N packets, chain intact", or exit 1 and the first broken link
(sequence, stardust id, reason). Exit 2 when the ledger cannot be read.`;

const SHOW_HELP = `${CONNECT_HELP}

Prints one packet: kind, ref, actor, trace, time, entities, parents, children, payload.
Exit 1 when no packet has that id.`;

const LINEAGE_HELP = `${CONNECT_HELP}

<target> is a stardust id, or entity-type:id (e.g. video:3d2c1b0a-…) for every packet that
names that entity. Prints the ancestry (what it came from) and the descendants (what came of
it) as indented trees, each line with the packet's kind and actor.`;

function withConnection(c: Command): Command {
  return c
    .option('--site <site>', 'site whose ledger to read (default: site_id from config)')
    .option('--data-dir <dir>', 'data directory of the embedded server (default: data_dir)')
    .option('-c, --config <file>', 'config file (JSON)')
    .option('--url <url>', 'NATS server URL (default: nats.url from config or NATS_URL)');
}

/** `omniva stardust verify | show | lineage`: the provenance ledger from the command line. */
export function registerStardust(program: Command): void {
  const stardust = program
    .command('stardust')
    .description('the provenance ledger: verify its chain, show a packet, walk its lineage');

  withConnection(stardust.command('verify').description('check the hash chain of the site ledger'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', VERIFY_HELP)
    .action(async (opts: StardustCliOptions & { json?: boolean }) => {
      const { verifyCommand } = await import('../actions/stardust.ts');
      await verifyCommand(opts);
    });

  withConnection(stardust.command('show').description('print one packet in readable form'))
    .argument('<id>', 'stardust id')
    .option('--json', 'print the stored packet as JSON')
    .addHelpText('after', SHOW_HELP)
    .action(async (id: string, opts: StardustCliOptions & { json?: boolean }) => {
      const { showCommand } = await import('../actions/stardust.ts');
      await showCommand(id, opts);
    });

  withConnection(
    stardust
      .command('lineage')
      .description('ancestry and descendants of a packet or an entity, as trees'),
  )
    .argument('<target>', 'stardust id, or entity-type:id')
    .option('--depth <n>', 'levels to follow each way (default: all)')
    .addHelpText('after', LINEAGE_HELP)
    .action(async (target: string, opts: StardustCliOptions & { depth?: string }) => {
      const { lineageCommand } = await import('../actions/stardust.ts');
      await lineageCommand(target, opts);
    });
}
