import type { ActorKind } from '../../../runtime/index.ts';
import { jobWorkerKind } from '../internal/job-worker.ts';
import { type RenderDeps, render } from './render.ts';

export interface EditorOptions extends RenderDeps {
  instance: string;
  placed?: boolean;
}

/** The editor worker (spec §5.3): an EditOrder in, a ClipRendered on `evt.<kind>.clip_rendered`. */
export function editorKind(opts: EditorOptions): ActorKind {
  const { instance, placed, ...deps } = opts;
  return jobWorkerKind({
    worker: 'editor',
    instance,
    ...(placed ? { placed } : {}),
    command: 'EditOrder',
    cancellable: true,
    // One instance per editing context: a retry of the same render meets its own record.
    jobId: (order) => order.editing_context_id,
    run: (order, ctx, progress) => render(order, deps, ctx.signal, progress),
    results: (output) => [
      { channel: 'evt', name: 'clip_rendered', contract: 'ClipRendered', payload: output },
    ],
  });
}
