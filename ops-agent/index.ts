export { type HostCallbacks, type SiteActionsOptions, siteActions } from './actions.ts';
export {
  type AuditLedger,
  createOpsAgent,
  OPS_ACTOR,
  type OpsActionContext,
  type OpsActions,
  type OpsAgent,
  type OpsAgentOptions,
  type OpsDetail,
  type OpsResult,
  type OpsStatus,
  startOpsAgent,
} from './agent.ts';
export {
  type AlertChannel,
  consoleChannel,
  DEFAULT_WEBHOOK,
  fileChannel,
  formatAlert,
  type WebhookChannelOptions,
  webhookChannel,
} from './alert-channels.ts';
export {
  type AlertRouter,
  type AlertRouterOptions,
  type AlertRouterStats,
  createAlertRouter,
  DEFAULT_ALERTS,
  dedupeKey,
  escalationAlert,
  type RouteOutcome,
  type RunningAlertRouter,
  type StartAlertRouterOptions,
  startAlertRouter,
} from './alerts.ts';
export {
  type CommandRequest,
  canonicalCommandBytes,
  DEFAULT_OPS_TTL_S,
  DESTRUCTIVE_ACTIONS,
  issueCommand,
  MAX_OPS_TTL_S,
  newNonce,
  OPS_ACTIONS,
  type OpsAction,
  type OpsArgs,
  type OpsCommand,
  type SignedOpsCommand,
  signCommand,
} from './command.ts';
export {
  assess,
  DEFAULT_HEALTH,
  DEFAULT_THRESHOLDS,
  fullVolumes,
  type HealthReporter,
  type HealthReporterOptions,
  type HealthThresholds,
  type HostSample,
  parseMemAvailable,
  sampleHost,
  startHealthReporter,
  type WorkerReport,
} from './health.ts';
export {
  noProcessManager,
  type ProcessManager,
  type SystemdOptions,
  systemctlArgv,
  systemdManager,
  workerUnit,
} from './process-manager.ts';
export { OPERATOR_RETRY, retryThroughZenith } from './retry-stage.ts';
export { ACTION_ARGS_SCHEMAS, opsCommandSchema, opsResultSchema } from './schemas.ts';
export {
  DEFAULT_OPS_SKEW_S,
  MemoryNonceStore,
  type NonceStore,
  REFUSAL_REASONS,
  type RefusalReason,
  type TrustedIssuer,
  type Verdict,
  type VerifyCommandOptions,
  verifyCommand,
} from './verify.ts';
