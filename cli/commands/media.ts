import type { Command } from 'commander';
import type { MediaCliOptions, MediaGcCliOptions, PromoteCliOptions } from '../actions/media.ts';

const GC_HELP = `
Removes blobs of the site's media store (<data_dir>/media) that nothing references any more.
A blob is kept when its media://<site>/sha256/<hex> URI is named by:
  - a command still queued (OMNIVA_CMD),
  - an event, advisory or alert (OMNIVA_EVT), or a dead letter (OMNIVA_DLQ),
  - a Stardust ledger packet (the ledger keeps everything, so this is for good),
  - an actor snapshot (OMNIVA_SNAPSHOTS) or an effect result (OMNIVA_EFFECTS),
  - a worker's own record: any *.json under <data_dir>/{scraper,editor,uploader,analyzer}.
A blob younger than --older-than is kept too, so a blob stored a moment before the message
that names it is recorded is never taken; 0s is only safe on a site with no work running.
If any of these sources cannot be read, nothing is removed. Partial uploads left by a crash
are removed by the same age rule.

Connects to nats.url (config file, OMNIVA_NATS__URL or NATS_URL, or --url); when none is set,
to the embedded nats-server of the data directory (the one \`omniva run\` started, or a new one).
Exit 0 after a run (dry or not), 1 when it could not run.`;

const LS_HELP = `
Lists every blob of the site's media store: URI, size in bytes, last modified (UTC), then a
total. Reads only the data directory; no server is needed.`;

const PROMOTE_HELP = `
Media stays on the site that stored it; this is the one way to copy it to another site, run
on a host of the source site that holds the blob (its data directory):
  1. the blob is re-hashed, and a media_promote packet (operator, reason, target) goes into
     this site's ledger;
  2. the bytes go into the target site's OMNIVA_MEDIA_INBOX object store, addressed to
     --to-host (connecting to --to-url as --to-user, password from OMNIVA_PROMOTE_PASS);
  3. that host's \`omniva run\` stores them (sha256 checked again) and records media_import
     in the target's ledger, naming the media_promote packet.
Waits up to --wait for step 3 and prints the target URI and both packet ids. Rerunning it is
safe: nothing is sent, stored or recorded twice. Exit 0 when imported, 1 on an error or when
the target did not confirm in time (the bytes stay in the inbox for 7 days).`;

/** `omniva media gc | ls`: the site's content-addressed media store from the command line. */
export function registerMedia(program: Command): void {
  const media = program
    .command('media')
    .description("the site's media store: list blobs, remove unreferenced ones");

  media
    .command('gc')
    .description('remove blobs that no message, snapshot, effect or worker record references')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .option('--older-than <duration>', 'only remove blobs older than this (e.g. 30m, 1h, 0s)', '1h')
    .option('-v, --verbose', 'list each removed blob (URI and size)')
    .option('--json', 'print the report as JSON')
    .option('--site <site>', 'site whose media to collect (default: site_id from config)')
    .option('--data-dir <dir>', 'data directory (default: data_dir from config)')
    .option('-c, --config <file>', 'config file (JSON)')
    .option('--url <url>', 'NATS server URL (default: nats.url from config or NATS_URL)')
    .addHelpText('after', GC_HELP)
    .action(async (opts: MediaGcCliOptions) => {
      const { gcCommand } = await import('../actions/media.ts');
      await gcCommand(opts);
    });

  media
    .command('ls')
    .description('list the blobs of the media store (URI, size)')
    .option('--site <site>', 'site of the store (default: site_id from config)')
    .option('--data-dir <dir>', 'data directory (default: data_dir from config)')
    .option('-c, --config <file>', 'config file (JSON)')
    .addHelpText('after', LS_HELP)
    .action(async (opts: MediaCliOptions) => {
      const { lsCommand } = await import('../actions/media.ts');
      await lsCommand(opts);
    });

  media
    .command('promote')
    .description('copy a blob to another site, audited in both ledgers')
    .argument('<uri>', 'media://<site>/sha256/<hex> of this site')
    .requiredOption('--to <site>', 'target site id')
    .requiredOption('--to-host <host>', 'target host that stores it (runs omniva run with workers)')
    .requiredOption('--to-url <url>', "the target site's NATS URL")
    .option('--to-user <user>', 'NATS user at the target (password: OMNIVA_PROMOTE_PASS)')
    .requiredOption('--reason <text>', 'why; recorded in both ledgers')
    .option('--operator <name>', 'who asks (default: $USER)')
    .option('--wait <duration>', 'how long to wait for the import', '60s')
    .option('--site <site>', 'this site (default: site_id from config)')
    .option('--data-dir <dir>', 'data directory (default: data_dir from config)')
    .option('-c, --config <file>', 'config file (JSON)')
    .option('--url <url>', "this site's NATS URL (default: nats.url from config or NATS_URL)")
    .addHelpText('after', PROMOTE_HELP)
    .action(async (uri: string, opts: PromoteCliOptions) => {
      const { promoteCommand } = await import('../actions/media.ts');
      await promoteCommand(uri, opts);
    });
}
