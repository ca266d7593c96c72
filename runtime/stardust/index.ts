export { Advisories, inconsistencySubject, ParentAuditor } from './advisory.ts';
export {
  Appender,
  type AppenderDeps,
  type AppenderOptions,
  type AppenderStats,
  type AppendResult,
} from './appender.ts';
export {
  FLEET_LEDGER_STREAM,
  type FleetLedgerSite,
  type FleetLedgerStatus,
  fleetLedgerConfig,
  type HubAccess,
  provisionFleetLedger,
  provisionHub,
  provisionSiteLedgerCopy,
  readFleetLedgerStatus,
  siteLedgerCopy,
  siteLedgerCopyConfig,
} from './fleet.ts';
export { Ledger, type LedgerOptions, type LineageQueries, openLedger } from './ledger.ts';
export { type LineageHit, LineageIndex, type LineageNode } from './lineage.ts';
export {
  type AppendInput,
  buildPacket,
  computeStardustId,
  encodePacket,
  MAX_PACKET_BYTES,
  type PacketWithoutId,
  type PreparedAppend,
  packetHeaders,
  parseStoredPacket,
  prepareAppend,
  STARDUST_ID_HEADER,
  STARDUST_STREAM,
  type StardustPacket,
  sealPrepared,
  stardustPacketSubject,
} from './packet.ts';
export {
  DEFAULT_DUPLICATE_WINDOW_MS,
  type LedgerStreamOptions,
  provisionLedger,
  stardustStreamConfig,
} from './provision.ts';
export { type ChainHead, LedgerStore, type StoredEntry } from './store.ts';
export { type VerifyResult, verifyLedger } from './verify.ts';
