import { enqueueActions, setup } from 'xstate';
import { subjects, type VoteReport } from '../../../protocols/index.ts';
import {
  defineActorKind,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type MessageEvent,
  type RuntimeEmit,
  type SecretEnv,
  STREAMS,
} from '../../../runtime/index.ts';
import {
  type ExternalOutcome,
  type ExternalRequest,
  type ExternalVoterConfig,
  externalEffect,
} from './external.ts';
import {
  buildReport,
  candidateViews,
  type Draft,
  normaliseWeights,
  personaRows,
  reportId,
} from './report.ts';

/**
 * Pantheon, the voting ensemble (spec §4.6): every analysis gets one VoteReport on
 * `adv.pantheon.votes` — each persona's vote per candidate, a ranking with consensus and
 * dissent, and which voters took part. It only advises; Zenith decides what becomes a clip.
 */
export const PANTHEON_VERSION = 'pantheon-1.0.0';
export const ASK_EXTERNAL = 'ask_external';

export interface PantheonOptions {
  /** The optional model voter; absent (the default) means it is reported as `disabled`. */
  external?: ExternalVoterConfig;
  /** Environment for resolving `external.api_key_ref` (`env:NAME`); only config/ reads it. */
  env?: SecretEnv;
}

type Context = {
  /** Horizon's latest topic weights, keys lower-cased. */
  topic_weights: Record<string, number>;
  guidance?: { guidance_id: string; stardust_id?: string };
  pending: Record<string, Draft>;
};

type Events =
  | MessageEvent<'AnalysisReport'>
  | MessageEvent<'HorizonGuidance'>
  | EffectDoneEvent
  | EffectFailedEvent;

function publish(report: VoteReport, parents: string[]): RuntimeEmit {
  return {
    type: 'omniva.publish',
    channel: 'adv',
    name: 'votes',
    contract: 'VoteReport',
    payload: report,
    parents,
  };
}

export function pantheonMachine(o: PantheonOptions = {}) {
  // Votes may change when the model does (spec §4.6), so the model is part of the version.
  const model_version = (
    o.external ? `${PANTHEON_VERSION}+${o.external.model}` : PANTHEON_VERSION
  ).slice(0, 64);
  return setup({
    types: {} as { context: Context; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'pantheon',
    context: { topic_weights: {}, pending: {} },
    on: {
      HorizonGuidance: {
        // Only the latest guidance matters: it is Horizon's current view, not a history.
        actions: enqueueActions(({ event, enqueue }) => {
          enqueue.assign({
            topic_weights: normaliseWeights(event.payload.topic_weights),
            guidance: {
              guidance_id: event.payload.guidance_id,
              ...(event.meta.stardust_id ? { stardust_id: event.meta.stardust_id } : {}),
            },
          });
        }),
      },
      AnalysisReport: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const report = event.payload;
          const views = candidateViews(report, context.topic_weights, !!context.guidance);
          const parents = [event.meta.stardust_id, context.guidance?.stardust_id].filter(
            (p, i, all): p is string => typeof p === 'string' && all.indexOf(p) === i,
          );
          const draft: Draft = {
            report_id: reportId(report.job_id, context.guidance?.guidance_id, model_version),
            video_id: report.result.video_id,
            analysis_job_id: report.job_id,
            rows: personaRows(views),
            parents,
            generated_at: new Date(event.now).toISOString(),
            model_version,
          };
          if (!o.external || views.length === 0) {
            const detail = o.external
              ? 'not asked: the analysis has no candidates'
              : 'not configured (off by default)';
            enqueue.emit(publish(buildReport(draft, { status: 'disabled', detail }), parents));
            return;
          }
          // The report id makes the effect id: a redelivery replays the journaled answer.
          const id = `ask-${draft.report_id}`;
          enqueue.assign({ pending: { ...context.pending, [id]: draft } });
          const input: ExternalRequest = {
            analysis_job_id: report.job_id,
            candidates: views.map((v) => v.external),
            topic_weights: context.topic_weights,
          };
          enqueue.emit({ type: 'omniva.effect', id, name: ASK_EXTERNAL, input });
        }),
      },
      'effect.done': {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const draft = context.pending[event.id];
          if (!draft || event.name !== ASK_EXTERNAL) return;
          const { [event.id]: _done, ...pending } = context.pending;
          enqueue.assign({ pending });
          const out = event.output as ExternalOutcome | undefined;
          const outcome: ExternalOutcome =
            out?.status === 'voted' || out?.status === 'failed' || out?.status === 'timeout'
              ? out
              : { status: 'failed', detail: 'the external voter returned no outcome' };
          enqueue.emit(publish(buildReport(draft, outcome), draft.parents));
        }),
      },
      'effect.failed': {
        // The adapter reports endpoint faults as outcomes; this is the runtime failing it.
        actions: enqueueActions(({ context, event, enqueue }) => {
          const draft = context.pending[event.id];
          if (!draft || event.name !== ASK_EXTERNAL) return;
          const { [event.id]: _done, ...pending } = context.pending;
          enqueue.assign({ pending });
          const detail = `${event.error.code}: ${event.error.message}`;
          enqueue.emit(publish(buildReport(draft, { status: 'failed', detail }), draft.parents));
        }),
      },
    },
  });
}

/**
 * Pantheon reads every analysis (`evt.*.analysis_ready`) and Horizon's guidance from the event
 * stream. One instance (`main`): guidance and analyses are handled in stream order, so which
 * weights a report was voted under is determined by the stream, not by timing.
 */
export function pantheonKind(o: PantheonOptions = {}) {
  return defineActorKind({
    name: 'pantheon',
    version: 1,
    machine: pantheonMachine(o),
    accepts: ['AnalysisReport', 'HorizonGuidance'],
    key: () => 'main',
    work: {
      stream: STREAMS.evt,
      filter: (site) => [
        subjects.evtAny(site, 'analysis_ready'),
        subjects.adv(site, 'horizon', 'guidance'),
      ],
    },
    effects: o.external ? { [ASK_EXTERNAL]: externalEffect(o.external, o.env) } : {},
  });
}
