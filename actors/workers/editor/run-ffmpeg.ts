import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CANCELLED } from '../internal/job-worker.ts';
import { WorkerError } from '../internal/worker-error.ts';

export interface FfmpegRun {
  stderr: string;
}

/**
 * Runs ffmpeg in `cwd`, reporting `-progress` as a fraction of `duration_s`. The failure says
 * whether a retry can help (design §5.3): out of memory, disk or processes is transient
 * (`resource_exhausted`); ffmpeg refusing its arguments or input is deterministic
 * (`bad_command`). An aborted signal kills the process and reports `cancelled`.
 */
export function runFfmpeg(
  bin: string,
  args: readonly string[],
  opts: { cwd: string; signal: AbortSignal; duration_s?: number; onProgress?: (f: number) => void },
): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    if (opts.signal.aborted) {
      reject(cancelled());
      return;
    }
    const child = spawn(bin, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    opts.signal.addEventListener('abort', kill, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-64 * 1024);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m && opts.duration_s && opts.onProgress)
        opts.onProgress(Math.min(1, Number(m[1]) / 1e6 / opts.duration_s));
    });
    child.on('error', (e) => {
      opts.signal.removeEventListener('abort', kill);
      reject(
        new WorkerError('resource_exhausted', `ffmpeg could not start: ${e.message}`, {
          retryable: true,
          cause: e,
        }),
      );
    });
    child.on('close', (code, sig) => {
      opts.signal.removeEventListener('abort', kill);
      if (opts.signal.aborted) reject(cancelled());
      else if (code === 0) resolve({ stderr });
      else reject(classify(stderr, code, sig));
    });
  });
}

const TRANSIENT =
  /Cannot allocate memory|Out of memory|malloc of size \d+ failed|failed to map segment|No space left on device|Resource temporarily unavailable|Too many open files/i;

export function classify(
  stderr: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): WorkerError {
  const last = stderr.trim().split('\n').slice(-3).join(' | ');
  // A SIGKILL we did not send is the kernel's OOM killer.
  if (TRANSIENT.test(stderr) || signal === 'SIGKILL')
    return new WorkerError('resource_exhausted', `ffmpeg ran out of resources: ${last}`, {
      retryable: true,
    });
  return new WorkerError('bad_command', `ffmpeg failed (exit ${code ?? signal}): ${last}`, {
    retryable: false,
  });
}

function cancelled(): Error {
  return Object.assign(new Error('render cancelled'), { code: CANCELLED, retryable: false });
}
