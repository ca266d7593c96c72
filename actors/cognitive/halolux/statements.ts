import {
  arbitration,
  conflictReport,
  deadLetter,
  horizonGuidance,
  isFinalStatus,
  latticeHints,
  operatorOverride,
  recoveryPlan,
  workerStatus,
  workRequest,
} from './control-statements.ts';
import { clip, type PacketView, type Rec, say, str, when } from './fields.ts';
import {
  analysisReport,
  analyzeJob,
  chorusPackage,
  clipRendered,
  editOrder,
  mediaCaptured,
  promotion,
  publishOrder,
  publishReceipt,
  scheduleChange,
  scheduleOrder,
  scraperJob,
  videoAsset,
  voteReport,
} from './pipeline-statements.ts';

/**
 * One packet → one chain statement. Every phrase is built on the field it quotes and left
 * out when the packet lacks that field; a builder that finds none of its core fields gives
 * way to the generic statement, which uses only the packet's own type, actor and entities.
 */

export interface Built {
  step: string;
  statement: string;
  /** False for progress reports that the narrative leaves to the chain. */
  narrate: boolean;
  /** False when the statement says only what the packet's type, actor and entities say. */
  fromBody: boolean;
}

type Builder = (b: Rec, actor: string) => string | undefined;

/** Message type → [chain step, builder]. */
const BUILDERS: Record<string, readonly [string, Builder]> = {
  ScraperJob: ['ingest', scraperJob],
  MediaCaptured: ['ingest', mediaCaptured],
  VideoAssetCreated: ['ingest', videoAsset],
  AnalyzeJob: ['analysis', analyzeJob],
  AnalysisReport: ['analysis', analysisReport],
  VoteReport: ['vote', voteReport],
  ClipPromotion: ['promotion', promotion],
  EditOrder: ['edit', editOrder],
  ClipRendered: ['edit', clipRendered],
  ChorusPackage: ['metadata', chorusPackage],
  ScheduleOrder: ['schedule', scheduleOrder],
  ScheduleChange: ['schedule', scheduleChange],
  PublishOrder: ['publish', publishOrder],
  PublishReceipt: ['publish', publishReceipt],
  Arbitration: ['decision', arbitration],
  ConflictReport: ['conflict', conflictReport],
  WorkerStatus: ['status', workerStatus],
  RecoveryPlan: ['recovery', recoveryPlan],
  DeadLetter: ['dead_letter', deadLetter],
  WorkRequest: ['request', workRequest],
  OperatorOverride: ['override', operatorOverride],
  LatticeHints: ['routing', latticeHints],
  HorizonGuidance: ['guidance', horizonGuidance],
};

/** What the packet itself says, without its body: actor, type (or kind) and entities. */
function generic(v: PacketView): string {
  const p = v.packet;
  const about = Object.keys(p.entities)
    .sort()
    .filter((t) => (p.entities[t] ?? []).length > 0)
    .map((t) => `${t} ${(p.entities[t] ?? []).join(', ')}`);
  return say(
    p.actor,
    v.type
      ? say(
          ` published ${v.type}`,
          when(v.name, (n) => ` (${n})`),
        )
      : ` recorded a packet of kind ${p.kind} (ref ${p.ref})`,
    about.length > 0 && ` about ${about.join('; ')}`,
  );
}

/** The chain step of one packet. */
export function buildStep(v: PacketView): Built {
  const known = v.type ? BUILDERS[v.type] : undefined;
  const told = known && v.body ? known[1](v.body, v.packet.actor) : undefined;
  const step = known?.[0] ?? v.name ?? v.packet.kind;
  const progress = v.type === 'WorkerStatus' && !isFinalStatus(str(v.body, 'status'));
  return {
    step: clip(step, 64),
    statement: clip(told || generic(v), 2000),
    narrate: !progress,
    fromBody: Boolean(told),
  };
}

/** The chain step a message type belongs to (undefined for types no builder knows). */
export function stepOf(type: string | undefined): string | undefined {
  return type ? BUILDERS[type]?.[0] : undefined;
}
