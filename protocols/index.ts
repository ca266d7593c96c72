export { CONTENT_TYPES, type Codec, decode, encode } from './codec.ts';
export {
  CONTRACTS,
  type Contract,
  type ContractName,
  type ContractSchema,
  type ContractType,
  isContractName,
  listContracts,
} from './contracts.ts';
export {
  deriveMsgId,
  type Envelope,
  type EnvelopeInput,
  type MessageResult,
  makeEnvelope,
  type PayloadInput,
  validateMessage,
} from './envelope.ts';
export {
  ERROR_CODES,
  ERRORS,
  type ErrorCode,
  isErrorCode,
  OmnivaError,
  type OmnivaErrorInfo,
  type OmnivaErrorOptions,
} from './errors.ts';
export { isUtcDateTime, isUuidV4 } from './formats.ts';
export { envelopeHeaders, HEADERS } from './headers.ts';
export {
  MEDIA_URI_PATTERN,
  SEMVER_PATTERN,
  SITE_ID_PATTERN,
  TOKEN_PATTERN,
} from './patterns.ts';
export { type ActorEscalation, actorEscalationSchema } from './schemas/actor-escalation.ts';
export {
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

export { type AnalysisResult, analysisResultSchema } from './schemas/analysis-result.ts';
export {
  type CancelReply,
  type CancelRequest,
  cancelReplySchema,
  cancelRequestSchema,
} from './schemas/cancel.ts';
export { type ClipCandidate, clipCandidateSchema } from './schemas/clip-candidate.ts';
export {
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
export { type DeadLetter, deadLetterSchema } from './schemas/dead-letter.ts';
export { type EchoReply, echoReplySchema } from './schemas/echo-reply.ts';
export { type EchoRequest, echoRequestSchema } from './schemas/echo-request.ts';
export { type EditJob, editJobSchema } from './schemas/edit-job.ts';
export { type EnvelopeFields, envelopeSchema } from './schemas/envelope.ts';
export { type Heartbeat, heartbeatSchema } from './schemas/heartbeat.ts';
export {
  ALERT_SEVERITIES,
  ALERT_TYPES,
  type Alert,
  type AlertSeverity,
  type AlertType,
  alertSchema,
  HOST_STATES,
  type HostHealth,
  type HostState,
  hostHealthSchema,
  hostStateSchema,
} from './schemas/host-health.ts';
export {
  type AnalysisReport,
  type AnalyzeJob,
  analysisReportSchema,
  analyzeJobSchema,
  type MediaCaptured,
  type MediaMetadata,
  mediaCapturedSchema,
  type VideoAssetCreated,
  videoAssetCreatedSchema,
} from './schemas/media-work.ts';
export {
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
export { type SampleTask, sampleTaskSchema } from './schemas/sample-task.ts';
export { type SampleTaskDone, sampleTaskDoneSchema } from './schemas/sample-task-done.ts';
export { type ScheduleTask, scheduleTaskSchema } from './schemas/schedule-task.ts';
export { type ScraperJob, scraperJobSchema } from './schemas/scraper-job.ts';
export {
  STARDUST_ID_PATTERN,
  STARDUST_KIND_PATTERN,
  type StardustInconsistency,
  type StardustPacket,
  stardustInconsistencySchema,
  stardustPacketSchema,
} from './schemas/stardust-packet.ts';
export { type StatusQuery, statusQuerySchema } from './schemas/status-query.ts';
export { type StatusReply, statusReplySchema } from './schemas/status-reply.ts';
export { type UploadJob, uploadJobSchema } from './schemas/upload-job.ts';
export {
  WORKER_ERROR_CODES,
  type WorkerErrorCode,
  type WorkerStatus,
  workerStatusSchema,
} from './schemas/worker-status.ts';
export {
  type ZenithCommandMeta,
  zenithCommandMetaSchema,
} from './schemas/zenith-command-meta.ts';
export {
  type ParsedSubject,
  parseSubject,
  type SubjectKind,
  subjectMatches,
  subjects,
} from './subjects.ts';
export {
  type ContractResult,
  checkSchemaVersion,
  formatViolation,
  type Violation,
  validateContract,
} from './validate.ts';
