import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** An execFile failure, with what the process printed before it failed. */
export type RunError = Error & {
  stdout?: string;
  stderr?: string;
  code?: number | string | null;
  killed?: boolean;
};

/** Runs a binary without a shell (arguments are never interpreted), bounded in time and output. */
export function run(bin: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((ok, fail) => {
    execFile(
      bin,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) fail(Object.assign(error, { stdout, stderr }) as RunError);
        else ok({ stdout, stderr });
      },
    );
  });
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first line of an error's message: enough to name the cause in another message. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
