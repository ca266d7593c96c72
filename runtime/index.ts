export type {
  ActorKind,
  EffectContext,
  EffectDoneEvent,
  EffectEmit,
  EffectFailedEvent,
  EffectHandler,
  MessageEvent,
  MessageMeta,
  PublishEmit,
  ReplyEmit,
  RpcEvent,
  RuntimeEmit,
  TimerCancelEmit,
  TimerSetEmit,
  WorkBinding,
} from './actor-kind.ts';
export { defineActorKind } from './actor-kind.ts';
export { SiteClient } from './client.ts';
export { EffectJournal } from './effects.ts';
export {
  EPOCH_BUCKET,
  type EpochCheck,
  EpochGuard,
  type EpochGuardOptions,
  epochSeenKey,
  provisionEpochs,
} from './fencing.ts';
export {
  createGrantKey,
  DEFAULT_GRANT_SKEW_S,
  GRANT_TYPE,
  type GrantClaims,
  GrantError,
  type GrantErrorCode,
  type GrantRefusal,
  type GrantRequest,
  type GrantSigner,
  grantSigner,
  MAX_GRANT_TTL_S,
  signGrant,
  type VerifyGrantOptions,
  verifyGrant,
} from './grants.ts';
export {
  ActorHost,
  type HostDeps,
  type HostHooks,
  type HostOptions,
  type HostStats,
} from './host.ts';
export { type LeaderHost, type LeaderHostOptions, startLeaderHost } from './leader.ts';
export {
  DEFAULT_LEASE_TTL_MS,
  LEASE_BUCKET,
  Lease,
  type LeaseBucketOptions,
  type LeaseLostReason,
  type LeaseOptions,
  type LeaseRecord,
  type LeaseState,
  leaseEpoch,
  leaseKey,
  provisionLeases,
} from './lease.ts';
export { drainOnSignals } from './lifecycle.ts';
export { createLogger, type Logger, messageLogger } from './logger.ts';
export * from './media/index.ts';
export {
  checkNatsServerVersion,
  type EmbeddedServer,
  type EmbeddedServerOptions,
  findNatsServer,
  MIN_NATS_SERVER,
  startNatsServer,
} from './nats-server.ts';
export {
  DEFAULT_OPS_NONCE_TTL_MS,
  KvNonceStore,
  OPS_NONCE_BUCKET,
  type OpsHandler,
  type OpsService,
  type OpsServiceOptions,
  opsNonceKey,
  provisionOpsNonces,
  type SendOpsOptions,
  sendOpsCommand,
  serveOps,
} from './ops-service.ts';
export {
  createOpsKey,
  isOpsPublicKey,
  type OpsKeyPair,
  type OpsSigner,
  opsSignerFromSeed,
  verifyOpsSignature,
} from './ops-signing.ts';
export {
  BUCKETS,
  type ProvisionOptions,
  provisionSite,
  STREAMS,
  siteStreams,
} from './provision.ts';
export { isSecretRef, resolveSecret, type SecretEnv, type SecretRef } from './secrets.ts';
export {
  publishSignal,
  type SignalConnection,
  type SignalMessage,
  type SignalWatch,
  watchSignals,
} from './signal-bus.ts';
export { openSite, type SiteConnection, type SiteNatsOptions, type SiteOptions } from './site.ts';
export {
  type ExplanationServer,
  type ExplanationServerOptions,
  serveExplanations,
} from './stardust/explain-service.ts';
export * from './stardust/index.ts';
