import { enqueueActions, setup } from 'xstate';
import {
  type ContractName,
  type ContractType,
  subjects,
  WORKER_ERROR_CODES,
  type WorkerErrorCode,
  type WorkerStatus,
} from '../../../protocols/index.ts';
import {
  type ActorKind,
  defineActorKind,
  type EffectContext,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type MessageEvent,
  type PublishEmit,
  type RuntimeEmit,
  STREAMS,
} from '../../../runtime/index.ts';

/** Reports a running job's progress (0..1) as a WorkerStatus on `evt.<kind>.progress`. */
export type Progress = (fraction: number, detail?: string) => void;

/** How a finished job is announced, besides its DONE status. */
export type JobResults<C extends ContractName> = (
  output: unknown,
  job: ContractType<C>,
) => Omit<PublishEmit, 'type'>[];

export interface JobWorkerSpec<C extends ContractName> {
  /** The spec's worker name: `WorkerStatus.worker` and the command subject's token. */
  worker: string;
  /**
   * This process's instance id. With `placed`, the kind reads only commands addressed to it
   * (`cmd.<worker>.<instance>`) and is named `<worker>-<instance>`; otherwise it shares the
   * worker's queue (`cmd.<worker>`) with every other instance.
   */
  instance: string;
  placed?: boolean;
  command: C;
  /** The job a command is about: its WorkerStatus.job_id and the actor instance key. */
  jobId: (job: ContractType<C>) => string;
  /** The one effect that does the work; its output feeds `results`. */
  run: (job: ContractType<C>, ctx: EffectContext, progress: Progress) => Promise<unknown>;
  results: JobResults<C>;
  /** Jobs can be aborted mid-run through `rpc.<kind>.cancel` (see ActorKind.cancellable). */
  cancellable?: boolean;
  version?: number;
}

/** Error codes from effects that are not worker codes are reported as `internal`. */
export function workerCode(code: string): WorkerErrorCode {
  return (WORKER_ERROR_CODES as readonly string[]).includes(code)
    ? (code as WorkerErrorCode)
    : 'internal';
}

/** The error code an effect throws when its signal was aborted by a cancel. */
export const CANCELLED = 'cancelled';

type WorkerEvent = MessageEvent | EffectDoneEvent | EffectFailedEvent;
/** The part of xstate's `enqueue` these actions use. */
type Enqueue = { assign(patch: Partial<Context>): void; emit(e: RuntimeEmit): void };
type Context = { job_id?: string; job?: unknown; attempt: number; parents: string[] };

/**
 * The shape every operational worker shares (spec §5): a Zenith command becomes one effect;
 * its outcome becomes a `WorkerStatus` (DONE, ERROR with the spec's reason code, or
 * CANCELLED) plus the worker's result messages, all derived from the command's Stardust
 * packet. One actor instance per job. Each command is an attempt with its own effect id, so a
 * redelivered command replays the journaled outcome while a retry command runs again.
 */
export function jobWorkerKind<C extends ContractName>(spec: JobWorkerSpec<C>): ActorKind {
  const { worker, instance } = spec;
  const status = (
    job_id: string,
    now: number,
    rest: Partial<WorkerStatus> & Pick<WorkerStatus, 'status'>,
    parents: string[],
  ): RuntimeEmit => ({
    type: 'omniva.publish',
    channel: 'evt',
    name: 'status',
    contract: 'WorkerStatus',
    payload: {
      job_id,
      worker,
      instance_id: instance,
      updated_at: new Date(now).toISOString(),
      ...rest,
    },
    parents,
  });

  const start = (context: Context, e: MessageEvent, enqueue: Enqueue) => {
    const attempt = context.attempt + 1;
    enqueue.assign({
      job_id: spec.jobId(e.payload as ContractType<C>),
      job: e.payload,
      attempt,
      parents: e.meta.stardust_id ? [e.meta.stardust_id] : [],
    });
    enqueue.emit({ type: 'omniva.effect', id: `run-${attempt}`, name: 'run', input: e.payload });
  };
  const finish = (context: Context, e: EffectDoneEvent, enqueue: Enqueue) => {
    const job_id = context.job_id as string;
    for (const r of spec.results(e.output, context.job as ContractType<C>))
      enqueue.emit({ type: 'omniva.publish', parents: context.parents, ...r });
    enqueue.emit(status(job_id, e.now, { status: 'DONE', progress: 1 }, context.parents));
  };
  const fail = (context: Context, e: EffectFailedEvent, enqueue: Enqueue) => {
    const job_id = context.job_id as string;
    if (e.error.code === CANCELLED) {
      const detail = e.error.message;
      enqueue.emit(status(job_id, e.now, { status: 'CANCELLED', detail }, context.parents));
      return;
    }
    const error = {
      code: workerCode(e.error.code),
      message: e.error.message.slice(0, 2000),
      retryable: e.error.retryable,
    };
    enqueue.emit(status(job_id, e.now, { status: 'ERROR', error }, context.parents));
  };

  const machine = setup({
    types: {} as { context: Context; events: WorkerEvent; emitted: RuntimeEmit },
  }).createMachine({
    id: worker,
    context: { attempt: 0, parents: [] },
    on: {
      '*': {
        actions: enqueueActions(({ context, event, enqueue }) => {
          if (event.type === 'effect.done') finish(context, event, enqueue);
          else if (event.type === 'effect.failed') fail(context, event, enqueue);
          else if (event.type === spec.command) start(context, event, enqueue);
        }),
      },
    },
  });

  return defineActorKind({
    name: spec.placed ? `${worker}-${instance}` : worker,
    version: spec.version ?? 1,
    machine,
    accepts: [spec.command],
    ...(spec.placed ? { placement: { worker, instance } } : {}),
    ...(spec.cancellable ? { cancellable: true } : {}),
    work: {
      stream: STREAMS.cmd,
      filter: (site) =>
        spec.placed ? subjects.cmdTo(site, worker, instance) : subjects.cmd(site, worker),
    },
    key: (env) => spec.jobId(env.payload as ContractType<C>),
    effects: {
      run: (input, ctx) => {
        const job = input as ContractType<C>;
        const progress: Progress = (fraction, detail) =>
          ctx.report('progress', 'WorkerStatus', {
            job_id: spec.jobId(job),
            worker,
            instance_id: instance,
            status: 'RUNNING',
            progress: Math.min(1, Math.max(0, fraction)),
            ...(detail ? { detail: detail.slice(0, 2000) } : {}),
            updated_at: new Date().toISOString(),
          });
        return spec.run(job, ctx, progress);
      },
    },
  });
}
