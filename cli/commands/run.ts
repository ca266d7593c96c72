import type { Command } from 'commander';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description("run the site's actors until SIGTERM/SIGINT, then drain in-flight work")
    .option('--data-dir <dir>', 'data directory (overrides data_dir)')
    .option('-c, --config <file>', 'config file (JSON)')
    .action(async (opts: { dataDir?: string; config?: string }) => {
      const { runSite } = await import('../actions/run.ts');
      await runSite(opts);
    });
}
