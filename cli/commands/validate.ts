import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import {
  CONTRACTS,
  formatViolation,
  isContractName,
  listContracts,
  validateContract,
} from '../../protocols/index.ts';

const HELP_AFTER = `
Prints "valid" and exits 0 when the document conforms; otherwise prints one
"<pointer>: <reason>" line per violation and exits 1. Exits 2 when the contract is
unknown or the input cannot be read or parsed as JSON.

Examples:
  omniva validate --list
  omniva validate ScraperJob job.json
  cat analysis.json | omniva validate AnalysisResult`;

function fail(message: string): void {
  process.stderr.write(`omniva validate: ${message}\n`);
  process.exitCode = 2;
}

async function readInput(file: string): Promise<string> {
  return file === '-' ? text(process.stdin) : readFile(file, 'utf8');
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a JSON document against an Omniva contract (JSON Schema + rules)')
    .argument('[contract]', 'contract name, e.g. ScraperJob (see --list)')
    .argument('[file]', 'JSON file to check, or - for standard input', '-')
    .option('--list', 'list the contracts with their versions')
    .addHelpText('after', HELP_AFTER)
    .action(async (contract: string | undefined, file: string, opts: { list?: boolean }) => {
      if (opts.list) {
        const names = listContracts();
        const width = Math.max(...names.map((n) => n.length));
        const lines = names.map((n) => `${n.padEnd(width)}  ${CONTRACTS[n].version}\n`);
        process.stdout.write(lines.join(''));
        return;
      }
      if (contract === undefined) return fail('missing contract name; see omniva validate --list');
      if (!isContractName(contract)) {
        return fail(`unknown contract "${contract}"; see omniva validate --list`);
      }
      const source = file === '-' ? 'standard input' : file;
      let raw: string;
      try {
        raw = await readInput(file);
      } catch (e) {
        return fail(`cannot read ${source}: ${(e as Error).message}`);
      }
      let doc: unknown;
      try {
        doc = JSON.parse(raw);
      } catch (e) {
        return fail(`${source} is not valid JSON: ${(e as Error).message}`);
      }
      const result = validateContract(contract, doc);
      if (result.ok) {
        process.stdout.write('valid\n');
        return;
      }
      process.stdout.write(result.violations.map((v) => `${formatViolation(v)}\n`).join(''));
      process.exitCode = 1;
    });
}
