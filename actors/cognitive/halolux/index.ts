export { type Alternative, alternativesOf } from './alternatives.ts';
export {
  type GatherOptions,
  MAX_STORY_PACKETS,
  planStory,
  readStory,
  type Story,
  type StoryLedger,
  type StoryPlan,
} from './gather.ts';
export {
  type ExplainSubject,
  explain,
  orderStory,
  STAGES,
  type StoryNotes,
} from './narrate.ts';
export {
  createHaloLux,
  type HaloLux,
  type HaloLuxOptions,
  type HaloLuxStats,
} from './service.ts';
export { type Built, buildStep, stepOf } from './statements.ts';
export { type StoryNode, TraceIndex, type TraceSource } from './trace-index.ts';
