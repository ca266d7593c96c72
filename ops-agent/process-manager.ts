import { type ChildProcess, spawn } from 'node:child_process';
import { OmnivaError, TOKEN_PATTERN } from '../protocols/index.ts';
import type { OpsDetail } from './agent.ts';
import type { OpsArgs } from './command.ts';

/**
 * How restart_worker and drain_worker reach a worker process. The agent never gets a shell:
 * with systemd it runs one fixed argv, `systemctl --no-ask-password restart|stop <unit>`,
 * where the unit comes from a configured pattern and a worker token checked here.
 */
export interface ProcessManager {
  restart(args: OpsArgs['restart_worker'], signal: AbortSignal): Promise<OpsDetail>;
  drain(args: OpsArgs['drain_worker'], signal: AbortSignal): Promise<OpsDetail>;
  /** Stops every child still running (shutdown); their actions fail with the reason. */
  abortAll(reason: string): void;
}

export interface SystemdOptions {
  /** Absolute path of systemctl. */
  systemctl: string;
  /** Unit name pattern with one `{worker}`, e.g. `omniva-worker@{worker}.service`. */
  unit: string;
  /** This host's id: a command naming another instance is not for this host's units. */
  host_id: string;
  /** Worker kinds this host may restart or drain; empty: any. */
  workers?: readonly string[];
}

const TOKEN = new RegExp(TOKEN_PATTERN);
// What systemd accepts in a unit name, and never a leading dash (it would read as an option).
const UNIT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@:-]*\.service$/;
const MAX_OUTPUT = 64 * 1024;

const fail = (message: string, cause?: unknown) =>
  new OmnivaError('OMNIVA_ERR_EFFECT_FAILED', message, undefined, {
    retryable: false,
    ...(cause === undefined ? {} : { cause }),
  });

/** The unit of a worker kind; throws for a token that could not name one safely. */
export function workerUnit(pattern: string, worker: string): string {
  if (!TOKEN.test(worker) || worker.length > 128) {
    throw fail(`"${worker.slice(0, 64)}" is not a worker name`);
  }
  const unit = pattern.replace('{worker}', worker);
  if (!pattern.includes('{worker}') || !UNIT_NAME.test(unit)) {
    throw fail(`"${unit.slice(0, 128)}" is not a unit name`);
  }
  return unit;
}

function killGroup(child: ChildProcess | undefined): void {
  // The whole group, even once the leader has exited: what it started may still be there.
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** The exact argv given to systemctl for one verb. */
export function systemctlArgv(verb: 'restart' | 'stop', unit: string): string[] {
  return ['--no-ask-password', verb, unit];
}

// systemctl needs nothing from the agent's environment; a fixed one keeps variables such as
// SYSTEMD_* or a caller's PATH from changing what runs.
const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/** systemctl restart / stop of the worker's unit, waiting for systemd's answer. */
export function systemdManager(o: SystemdOptions): ProcessManager {
  const running = new Set<ChildProcess>();
  let stopping: string | undefined;
  const allowed = o.workers ?? [];

  const unitFor = (args: { worker: string; instance?: string }) => {
    if (args.instance !== undefined && args.instance !== o.host_id) {
      throw fail(
        `instance "${args.instance}" does not run on host "${o.host_id}"; send the command to its own host`,
      );
    }
    if (allowed.length > 0 && !allowed.includes(args.worker)) {
      throw fail(`worker "${args.worker}" is not managed by this agent (ops.process.workers)`);
    }
    return workerUnit(o.unit, args.worker);
  };

  const run = (verb: 'restart' | 'stop', unit: string, signal: AbortSignal) =>
    new Promise<OpsDetail>((resolve, reject) => {
      if (signal.aborted || stopping) {
        const why = stopping ?? String(signal.reason);
        reject(fail(`systemctl ${verb} ${unit} not started: ${why}`));
        return;
      }
      // spawn, not execFile: only spawn takes `detached`, which gives the child its own
      // process group, so stopping it also stops anything it started (a child holding its
      // output open would otherwise keep the action waiting).
      const child = spawn(o.systemctl, systemctlArgv(verb, unit), {
        env: CHILD_ENV,
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      running.add(child);
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        if (stderr.length < MAX_OUTPUT) stderr += d;
      });
      const onAbort = () => killGroup(child);
      signal.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        running.delete(child);
        signal.removeEventListener('abort', onAbort);
        f();
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        settle(() => reject(fail(`cannot run ${o.systemctl} (${err.code ?? err.message})`, err)));
      });
      child.on('close', (code, killedBy) => {
        settle(() => {
          if (code === 0) {
            resolve({ unit, verb, exit_code: 0 });
          } else if (signal.aborted || stopping) {
            reject(fail(`systemctl ${verb} ${unit} stopped: ${stopping ?? String(signal.reason)}`));
          } else if (code !== null) {
            const said = stderr.trim().replace(/\s+/g, ' ').slice(0, 500);
            reject(fail(`systemctl ${verb} ${unit} exited with ${code}${said ? `: ${said}` : ''}`));
          } else {
            reject(fail(`systemctl ${verb} ${unit} failed: killed by ${killedBy}`));
          }
        });
      });
    });

  return {
    restart: async (args, signal) => run('restart', unitFor(args), signal),
    // The worker unit's stop signal is SIGTERM, on which the runtime drains in-flight work;
    // systemctl returns once the unit has stopped (or its stop timeout killed it).
    drain: async (args, signal) => run('stop', unitFor(args), signal),
    abortAll(reason) {
      stopping = reason;
      for (const child of running) killGroup(child);
    },
  };
}

/** No process manager: restart and drain fail and say why. */
export function noProcessManager(): ProcessManager {
  const refuse = (what: string) => () =>
    Promise.reject(
      fail(`this host has no process manager to ${what} workers with (ops.process.manager: none)`),
    );
  return { restart: refuse('restart'), drain: refuse('drain'), abortAll: () => undefined };
}
