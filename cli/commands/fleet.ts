import type { Command } from 'commander';
import type { FleetHubOptions, FleetRenderOptions } from '../actions/fleet.ts';

const RENDER_HELP = `
Validates the fleet file (every problem at once, one "<JSON pointer>: <reason>" a line; exit 1)
and writes, per host, a tree that mirrors the host's root file system:

  DIR/<host_id>/etc/omniva/nats-server.conf         nats hosts and the hub
  DIR/<host_id>/etc/omniva/<instance>.json          config of zenith, each worker, ops-agent
  DIR/<host_id>/etc/omniva/enabled-units            units to enable, one a line
  DIR/<host_id>/etc/omniva/secrets/*.env.example    secret variables each unit reads
  DIR/<host_id>/etc/systemd/system/omniva-*.service omniva-nats, omniva-worker@, ops-agent,
                                                    omniva-hub-provision (hub)
  DIR/<host_id>/etc/polkit-1/rules.d/*.rules        the agent may restart/stop worker units

Install with: rsync -a DIR/<host_id>/ root@<host>:/ ; fill in /etc/omniva/secrets/*.env;
systemctl daemon-reload; systemctl enable --now $(cat /etc/omniva/enabled-units)`;

const HUB_HELP = `
Connects to the hub as the hub operator: user hub-admin (the fleet account) and
hub-admin-<site> (each site's account), password from OMNIVA_HUB_ADMIN_PASS.
Exit 0 when done, 1 when the hub refused or a site's copy reports an error, 2 on bad usage.`;

/** `omniva fleet render`: NATS configs and systemd units for every host of a fleet file. */
export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('multi-site deployment: render NATS configs and systemd units from a fleet file');

  fleet
    .command('render')
    .description('validate a fleet file and write every host its configs and units')
    .argument('<fleet>', 'fleet file (JSON)')
    .requiredOption('--out <dir>', 'output directory; DIR/<host_id>/ per host')
    .addHelpText('after', RENDER_HELP)
    .action(async (file: string, opts: FleetRenderOptions) => {
      const { renderFleetCommand } = await import('../actions/fleet.ts');
      renderFleetCommand(file, opts);
    });

  const hubOptions = (c: Command) =>
    c
      .argument('<fleet>', 'fleet file (JSON)')
      .option('--url <url>', "the hub's client URL (default: the fleet file's hub host and port)")
      .option('--timeout <ms>', 'connect timeout', '5000')
      .addHelpText('after', HUB_HELP);

  hubOptions(
    fleet
      .command('provision-hub')
      .description("create or update the hub's ledger copies and STARDUST_ALL (idempotent)"),
  ).action(async (file: string, opts: FleetHubOptions) => {
    const { provisionHubCommand } = await import('../actions/fleet.ts');
    await provisionHubCommand(file, opts);
  });

  hubOptions(
    fleet
      .command('status')
      .description("the fleet ledger: STARDUST_ALL's size and each site's lag behind it")
      .option('--json', 'print JSON'),
  ).action(async (file: string, opts: FleetHubOptions & { json?: boolean }) => {
    const { fleetStatusCommand } = await import('../actions/fleet.ts');
    await fleetStatusCommand(file, opts);
  });
}
