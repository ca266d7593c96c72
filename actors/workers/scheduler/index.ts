export {
  DEFAULT_RULES,
  type PostingWindow,
  type Rules,
  resolveRules,
  rulesLookup,
  type SchedulerRules,
} from './rules.ts';
export {
  type SchedulerContext,
  type SchedulerOptions,
  schedulerKind,
  schedulerMachine,
} from './scheduler.ts';
export {
  applyDecision,
  type Bookings,
  chooseSlot,
  DAY_MS,
  GRID_MS,
  inWindow,
  pruneBookings,
  type SlotDecision,
  type SlotRequest,
} from './slots.ts';
