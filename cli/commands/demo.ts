import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job on an embedded single-site setup and print what happened')
    .option('--data-dir <dir>', 'put everything the run makes under this directory', '.omniva/demo')
    .option('-c, --config <file>', 'config file (JSON)')
    .action(async (opts: { dataDir: string; config?: string }) => {
      const { runDemo } = await import('../actions/demo.ts');
      await runDemo(opts);
    });
}
