import { Command } from 'commander';
import { registerValidate } from './commands/validate.ts';

const program = new Command('omniva')
  .description('Omniva Engine: content autopilot on an actor runtime over NATS JetStream')
  .showHelpAfterError();

registerValidate(program);

await program.parseAsync(process.argv);
