export {
  contractTime,
  DEFAULT_HORIZON,
  type HorizonGoals,
  type HorizonOptions,
  inside,
  minuteOfDay,
  minutesOf,
  type PostingWindow,
  resolveHorizon,
} from './goals.ts';
export {
  buildGuidance,
  ENGAGEMENT_LIFT,
  GAP_GAIN,
  GOOD_WEIGHT,
  type GuidanceState,
  isOffWindow,
  nextGoodStart,
  type OffWindow,
  scheduleDrift,
  slotWeights,
  topicDrift,
  topicWeights,
} from './guidance.ts';
export { type HorizonContext, horizonKind, horizonMachine } from './horizon.ts';
