import type { Command } from 'commander';
import { describeConfig, loadConfig } from '../../config/index.ts';

export function registerConfig(program: Command): void {
  const cmd = program
    .command('config')
    .description('show configuration keys, or the merged configuration');
  cmd
    .command('keys')
    .description('list every configuration key with its environment variable and default')
    .action(() => {
      process.stdout.write(`${describeConfig()}\n`);
    });
  cmd
    .command('show')
    .description('print the merged configuration (defaults < file < environment), secrets hidden')
    .option('-c, --config <file>', 'config file (JSON)')
    .action((opts: { config?: string }) => {
      const cfg = loadConfig(opts.config ? { file: opts.config } : {});
      const shown = {
        ...cfg,
        nats: { ...cfg.nats, ...(cfg.nats.pass ? { pass: '[redacted]' } : {}) },
      };
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    });
}
