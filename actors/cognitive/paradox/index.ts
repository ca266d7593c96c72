export {
  applyChange,
  type Basis,
  type Booking,
  DEFAULT_PARADOX,
  type Duplicate,
  doubleBookings,
  duplicateReport,
  findDuplicate,
  type MediaEntry,
  mediaSha,
  type OpenConflict,
  overlapReports,
  type ParadoxOptions,
  packets,
  remember,
  rememberMedia,
  reportId,
  sourceKey,
  stillHolds,
} from './conflicts.ts';
export { cycleReport, findCycle, type Link, link } from './lineage.ts';
export { type ParadoxContext, paradoxKind, paradoxMachine } from './paradox.ts';
