import { type ActorEscalation, actorEscalationSchema } from './schemas/actor-escalation.ts';
import {
  type ChorusPackage,
  type ClipPromotion,
  chorusPackageSchema,
  clipPromotionSchema,
  type ExplainRequest,
  type Explanation,
  explainRequestSchema,
  explanationSchema,
  type HorizonGuidance,
  horizonGuidanceSchema,
  type LatticeHints,
  latticeHintsSchema,
  type VoteReport,
  voteReportSchema,
} from './schemas/advisory.ts';

import {
  type AnalysisResult,
  analysisResultRules,
  analysisResultSchema,
} from './schemas/analysis-result.ts';
import {
  type CancelReply,
  type CancelRequest,
  cancelReplySchema,
  cancelRequestSchema,
} from './schemas/cancel.ts';
import {
  type ClipCandidate,
  clipCandidateRules,
  clipCandidateSchema,
  timeRangeRule,
} from './schemas/clip-candidate.ts';
import {
  type Arbitration,
  arbitrationSchema,
  type ConflictReport,
  conflictReportSchema,
  type InstanceReadiness,
  instanceReadinessSchema,
  type OperatorOverride,
  operatorOverrideSchema,
  type PanicSignal,
  panicSignalSchema,
  type QueueDirective,
  queueDirectiveSchema,
  type RecoveryPlan,
  recoveryPlanSchema,
  type WorkRequest,
  workRequestSchema,
} from './schemas/control.ts';
import { type DeadLetter, deadLetterSchema } from './schemas/dead-letter.ts';
import { type EchoReply, echoReplySchema } from './schemas/echo-reply.ts';
import { type EchoRequest, echoRequestSchema } from './schemas/echo-request.ts';
import { type EditJob, editJobSchema } from './schemas/edit-job.ts';
import { type Heartbeat, heartbeatSchema } from './schemas/heartbeat.ts';
import {
  type Alert,
  alertSchema,
  type HostHealth,
  type HostState,
  hostHealthRules,
  hostHealthSchema,
  hostStateSchema,
} from './schemas/host-health.ts';
import {
  type AnalysisReport,
  type AnalyzeJob,
  analysisReportSchema,
  analyzeJobSchema,
  type MediaCaptured,
  mediaCapturedSchema,
  type VideoAssetCreated,
  videoAssetCreatedSchema,
} from './schemas/media-work.ts';
import {
  type ClipRendered,
  clipRenderedSchema,
  type EditOrder,
  editOrderSchema,
  type PublishOrder,
  type PublishReceipt,
  publishOrderSchema,
  publishReceiptSchema,
  type ScheduleChange,
  type ScheduleOrder,
  scheduleChangeSchema,
  scheduleOrderSchema,
} from './schemas/publish-work.ts';
import { type SampleTask, sampleTaskSchema } from './schemas/sample-task.ts';
import { type SampleTaskDone, sampleTaskDoneSchema } from './schemas/sample-task-done.ts';
import { type ScheduleTask, scheduleTaskSchema } from './schemas/schedule-task.ts';
import { type ScraperJob, scraperJobRules, scraperJobSchema } from './schemas/scraper-job.ts';
import {
  type StardustInconsistency,
  type StardustPacket,
  stardustInconsistencySchema,
  stardustPacketSchema,
} from './schemas/stardust-packet.ts';
import { type StatusQuery, statusQuerySchema } from './schemas/status-query.ts';
import { type StatusReply, statusReplySchema } from './schemas/status-reply.ts';
import { type UploadJob, uploadJobSchema } from './schemas/upload-job.ts';
import { type WorkerStatus, workerStatusSchema } from './schemas/worker-status.ts';
import { type ZenithCommandMeta, zenithCommandMetaSchema } from './schemas/zenith-command-meta.ts';
import type { Violation } from './validate.ts';

/** Name → derived TS type; the types themselves come from the schemas. */
interface ContractTypes {
  ScraperJob: ScraperJob;
  AnalysisResult: AnalysisResult;
  ClipCandidate: ClipCandidate;
  EditJob: EditJob;
  UploadJob: UploadJob;
  ScheduleTask: ScheduleTask;
  WorkerStatus: WorkerStatus;
  Heartbeat: Heartbeat;
  DeadLetter: DeadLetter;
  ActorEscalation: ActorEscalation;
  SampleTask: SampleTask;
  SampleTaskDone: SampleTaskDone;
  StatusQuery: StatusQuery;
  StatusReply: StatusReply;
  EchoRequest: EchoRequest;
  EchoReply: EchoReply;
  StardustPacket: StardustPacket;
  StardustInconsistency: StardustInconsistency;
  ZenithCommandMeta: ZenithCommandMeta;
  WorkRequest: WorkRequest;
  RecoveryPlan: RecoveryPlan;
  InstanceReadiness: InstanceReadiness;
  Arbitration: Arbitration;
  OperatorOverride: OperatorOverride;
  PanicSignal: PanicSignal;
  QueueDirective: QueueDirective;
  ConflictReport: ConflictReport;
  MediaCaptured: MediaCaptured;
  VoteReport: VoteReport;
  ChorusPackage: ChorusPackage;
  ClipPromotion: ClipPromotion;
  LatticeHints: LatticeHints;
  HorizonGuidance: HorizonGuidance;
  ExplainRequest: ExplainRequest;
  Explanation: Explanation;
  CancelRequest: CancelRequest;
  CancelReply: CancelReply;
  VideoAssetCreated: VideoAssetCreated;
  AnalyzeJob: AnalyzeJob;
  AnalysisReport: AnalysisReport;
  EditOrder: EditOrder;
  ClipRendered: ClipRendered;
  PublishOrder: PublishOrder;
  PublishReceipt: PublishReceipt;
  ScheduleOrder: ScheduleOrder;
  ScheduleChange: ScheduleChange;
  HostHealth: HostHealth;
  HostState: HostState;
  Alert: Alert;
}

export type ContractName = keyof ContractTypes;
export type ContractType<N extends ContractName> = ContractTypes[N];

/** A draft 2020-12 schema whose `$id` registers it with the validator. */
export type ContractSchema<N extends ContractName> = {
  readonly $id: string;
  readonly title: N;
  readonly [keyword: string]: unknown;
};

export interface Contract<N extends ContractName> {
  readonly name: N;
  readonly schema: ContractSchema<N>;
  /** The version this code emits. */
  readonly version: string;
  /** Majors this code accepts on input; anything else is refused. */
  readonly acceptedMajors: readonly number[];
  /** Rules JSON Schema cannot express; run only on schema-valid documents. */
  readonly rules?: (value: ContractType<N>) => Violation[];
}

function contract<N extends ContractName>(
  name: N,
  schema: ContractSchema<N>,
  rules?: (value: ContractType<N>) => Violation[],
): Contract<N> {
  return { name, schema, version: '1.0.0', acceptedMajors: [1], ...(rules && { rules }) };
}

export const CONTRACTS: { readonly [N in ContractName]: Contract<N> } = {
  ScraperJob: contract('ScraperJob', scraperJobSchema, scraperJobRules),
  AnalysisResult: contract('AnalysisResult', analysisResultSchema, analysisResultRules),
  ClipCandidate: contract('ClipCandidate', clipCandidateSchema, clipCandidateRules),
  EditJob: contract('EditJob', editJobSchema),
  UploadJob: contract('UploadJob', uploadJobSchema),
  ScheduleTask: contract('ScheduleTask', scheduleTaskSchema),
  WorkerStatus: contract('WorkerStatus', workerStatusSchema),
  Heartbeat: contract('Heartbeat', heartbeatSchema),
  DeadLetter: contract('DeadLetter', deadLetterSchema),
  ActorEscalation: contract('ActorEscalation', actorEscalationSchema),
  SampleTask: contract('SampleTask', sampleTaskSchema),
  SampleTaskDone: contract('SampleTaskDone', sampleTaskDoneSchema),
  StatusQuery: contract('StatusQuery', statusQuerySchema),
  StatusReply: contract('StatusReply', statusReplySchema),
  EchoRequest: contract('EchoRequest', echoRequestSchema),
  EchoReply: contract('EchoReply', echoReplySchema),
  StardustPacket: contract('StardustPacket', stardustPacketSchema),
  StardustInconsistency: contract('StardustInconsistency', stardustInconsistencySchema),
  ZenithCommandMeta: contract('ZenithCommandMeta', zenithCommandMetaSchema),
  WorkRequest: contract('WorkRequest', workRequestSchema),
  RecoveryPlan: contract('RecoveryPlan', recoveryPlanSchema),
  InstanceReadiness: contract('InstanceReadiness', instanceReadinessSchema),
  Arbitration: contract('Arbitration', arbitrationSchema),
  OperatorOverride: contract('OperatorOverride', operatorOverrideSchema),
  PanicSignal: contract('PanicSignal', panicSignalSchema),
  QueueDirective: contract('QueueDirective', queueDirectiveSchema),
  ConflictReport: contract('ConflictReport', conflictReportSchema),
  MediaCaptured: contract('MediaCaptured', mediaCapturedSchema),
  VoteReport: contract('VoteReport', voteReportSchema),
  ChorusPackage: contract('ChorusPackage', chorusPackageSchema),
  ClipPromotion: contract('ClipPromotion', clipPromotionSchema, (v) => timeRangeRule(v, '')),
  LatticeHints: contract('LatticeHints', latticeHintsSchema),
  HorizonGuidance: contract('HorizonGuidance', horizonGuidanceSchema),
  ExplainRequest: contract('ExplainRequest', explainRequestSchema),
  Explanation: contract('Explanation', explanationSchema),

  CancelRequest: contract('CancelRequest', cancelRequestSchema),
  CancelReply: contract('CancelReply', cancelReplySchema),
  VideoAssetCreated: contract('VideoAssetCreated', videoAssetCreatedSchema, (v) =>
    analysisResultRules(v.analysis_stub).map((x) => ({
      ...x,
      pointer: `/analysis_stub${x.pointer}`,
    })),
  ),
  AnalyzeJob: contract('AnalyzeJob', analyzeJobSchema),
  AnalysisReport: contract('AnalysisReport', analysisReportSchema, (v) => [
    ...analysisResultRules(v.result).map((x) => ({ ...x, pointer: `/result${x.pointer}` })),
    ...v.candidate_features.flatMap((c, i) => timeRangeRule(c, `/candidate_features/${i}`)),
  ]),
  EditOrder: contract('EditOrder', editOrderSchema, (v) => timeRangeRule(v, '')),
  ClipRendered: contract('ClipRendered', clipRenderedSchema),
  PublishOrder: contract('PublishOrder', publishOrderSchema),
  PublishReceipt: contract('PublishReceipt', publishReceiptSchema),
  ScheduleOrder: contract('ScheduleOrder', scheduleOrderSchema),
  ScheduleChange: contract('ScheduleChange', scheduleChangeSchema),
  HostHealth: contract('HostHealth', hostHealthSchema, hostHealthRules),
  HostState: contract('HostState', hostStateSchema),
  Alert: contract('Alert', alertSchema),
};

export function listContracts(): ContractName[] {
  return Object.keys(CONTRACTS) as ContractName[];
}

export function isContractName(value: unknown): value is ContractName {
  return typeof value === 'string' && Object.hasOwn(CONTRACTS, value);
}
