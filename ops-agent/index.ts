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
