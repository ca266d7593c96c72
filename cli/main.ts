import { Command } from 'commander';
import { registerConfig } from './commands/config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerExplain } from './commands/explain.ts';
import { registerFleet } from './commands/fleet.ts';
import { registerMedia } from './commands/media.ts';
import { registerOps } from './commands/ops.ts';
import { registerRun } from './commands/run.ts';
import { registerStardust } from './commands/stardust.ts';
import { registerValidate } from './commands/validate.ts';

const program = new Command('omniva')
  .description('Omniva Engine: content autopilot on an actor runtime over NATS JetStream')
  .showHelpAfterError();

registerDemo(program);
registerRun(program);
registerValidate(program);
registerConfig(program);
registerStardust(program);
registerOps(program);
registerMedia(program);
registerExplain(program);
registerFleet(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as { code?: string; message?: string };
  process.stderr.write(`omniva: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}\n`);
  process.exitCode = process.exitCode || 1;
}
