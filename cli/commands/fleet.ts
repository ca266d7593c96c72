import type { Command } from 'commander';
import type { FleetRenderOptions } from '../actions/fleet.ts';

const RENDER_HELP = `
Validates the fleet file (every problem at once, one "<JSON pointer>: <reason>" a line; exit 1)
and writes, per host, a tree that mirrors the host's root file system:

  DIR/<host_id>/etc/omniva/nats-server.conf         nats hosts and the hub
  DIR/<host_id>/etc/omniva/<instance>.json          config of zenith, each worker, ops-agent
  DIR/<host_id>/etc/omniva/enabled-units            units to enable, one a line
  DIR/<host_id>/etc/omniva/secrets/*.env.example    secret variables each unit reads
  DIR/<host_id>/etc/systemd/system/omniva-*.service omniva-nats, omniva-worker@, ops-agent

Install with: rsync -a DIR/<host_id>/ root@<host>:/ ; fill in /etc/omniva/secrets/*.env;
systemctl daemon-reload; systemctl enable --now $(cat /etc/omniva/enabled-units)`;

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
}
