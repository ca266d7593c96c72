import type { Command } from 'commander';
import type { KeygenOptions, SendOptions, SignOptions } from '../actions/ops.ts';
import type { OpsAgentOptions } from '../actions/ops-agent.ts';

const SIGN_HELP = `
Prints the signed command as JSON on stdout: { "command": {…}, "signature": "…" }.
The signature is Ed25519 over the RFC 8785 canonical bytes of "command", so the JSON may be
re-indented or re-ordered in transit and still verify.

Actions and their --arg keys:
  restart_worker  worker=<kind> [instance=<id>]   destructive: needs --confirm
  drain_worker    worker=<kind> [instance=<id>]   destructive: needs --confirm
  pause_queue     queue=<worker kind>
  resume_queue    queue=<worker kind>
  cancel_run      worker=<actor> run_id=<id>      destructive: needs --confirm
  retry_stage     run_id=<id> stage=<stage>
Any action also takes reason=<text>.`;

const SEND_HELP = `
Publishes the signed command to omniva.<site>.ops.<host>.cmd (site and host are read from
the command) and prints the agent's result JSON. Exit 0 when it succeeded, 1 when it was
refused, failed or timed out, 2 when no agent answered.`;

const AGENT_HELP = `
Runs this host's Ops Agent until SIGTERM or SIGINT. It takes commands on
omniva.<site>.ops.<host>.cmd signed by a key in ops.trusted, checks signature, expiry, nonce,
site, host, role (ops.roles) and --confirm, records every decision and outcome in Stardust and
answers on omniva.<site>.ops.<host>.result. What each action does:
  pause_queue, resume_queue   a QueueDirective that Zenith enforces
  cancel_run                  the runtime's cancel request, answered by the host running it
  retry_stage                 a retry plan for Zenith: run_id is the job key, stage its worker
  restart_worker, drain_worker
                              with ops.process.manager = systemd, one fixed command, no shell:
                              <systemctl_bin> --no-ask-password restart|stop <unit>
                              (unit: ops.process.unit, default omniva-worker@<worker>.service);
                              with none, both fail
It joins nats.url as nats.user with nats.pass (OMNIVA_NATS__PASS); the site's ledger must
exist. Logs are JSON lines on stdout. On SIGTERM it stops taking commands, lets the running
one finish and answer (up to runtime.drain_timeout_ms), and exits 0.

Example ops section (\`omniva config keys\` lists every ops.* key):
  "ops": {
    "trusted": [{ "public_key": "O…", "roles": ["admin"] }],
    "process": { "manager": "systemd", "workers": ["editor"] }
  }`;

/** `omniva ops keygen | sign | send | agent`: signed operator commands, both sides. */
export function registerOps(program: Command): void {
  const ops = program
    .command('ops')
    .description('signed operator commands: keygen, sign, send, and the per-host agent');

  ops
    .command('keygen')
    .description('create an Ed25519 (nkey) operator key pair, or with --grant a grant-signing key')
    .option('--out <file>', 'write the seed to this file (mode 0600) instead of stdout')
    .option('--grant', "Zenith's upload-grant key (account nkey, A…) instead of an operator key")
    .action(async (opts: KeygenOptions) => {
      const { keygenCommand } = await import('../actions/ops.ts');
      keygenCommand(opts);
    });

  ops
    .command('sign')
    .description('sign an allow-listed command for one host')
    .requiredOption('--seed-file <file>', 'file holding the operator seed')
    .requiredOption('--site <site>', 'site id')
    .requiredOption('--host <host>', 'host id of the target Ops Agent')
    .requiredOption('--action <action>', 'one of the allow-listed actions')
    .option(
      '--arg <k=v>',
      'an argument (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--role <role>', 'role the command is issued under', 'admin')
    .option('--ttl <seconds>', 'lifetime in seconds', '60')
    .option('--confirm', 'confirm a destructive action')
    .addHelpText('after', SIGN_HELP)
    .action(async (opts: SignOptions) => {
      const { signCommandCli } = await import('../actions/ops.ts');
      signCommandCli(opts);
    });

  ops
    .command('send')
    .description('send a signed command to its Ops Agent and print the result')
    .argument('<file>', 'signed command JSON file, or - for stdin')
    .option('--url <url>', 'NATS server URL (default: nats.url from config or NATS_URL)')
    .option('-c, --config <file>', 'config file (JSON)')
    .option('--timeout <ms>', 'how long to wait for the agent', '30000')
    .addHelpText('after', SEND_HELP)
    .action(async (file: string, opts: SendOptions) => {
      const { sendCommandCli } = await import('../actions/ops.ts');
      await sendCommandCli(file, opts);
    });

  ops
    .command('agent')
    .description("run this host's Ops Agent until SIGTERM/SIGINT")
    .option('-c, --config <file>', 'config file (JSON)')
    .option('--url <url>', "the site's NATS server URL (overrides nats.url)")
    .addHelpText('after', AGENT_HELP)
    .action(async (opts: OpsAgentOptions) => {
      const { runOpsAgent } = await import('../actions/ops-agent.ts');
      await runOpsAgent(opts);
    });
}
