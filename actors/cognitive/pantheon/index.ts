export {
  askExternal,
  chatRequest,
  completionsUrl,
  EXTERNAL_AGENT,
  type ExternalCandidate,
  type ExternalOutcome,
  type ExternalRequest,
  type ExternalVote,
  type ExternalVoterConfig,
  externalEffect,
  parseVotes,
} from './external.ts';
export {
  ASK_EXTERNAL,
  PANTHEON_VERSION,
  type PantheonOptions,
  pantheonKind,
  pantheonMachine,
} from './pantheon.ts';
export {
  type Ballot,
  clamp01,
  explorer,
  hookHunter,
  PERSONAS,
  type Persona,
  type PersonaInput,
  r3,
  riskGuard,
  trendChaser,
} from './personas.ts';
export {
  buildReport,
  type CandidateView,
  candidateViews,
  type Draft,
  externalPart,
  normaliseWeights,
  personaRows,
  reportId,
} from './report.ts';
export {
  compareRanks,
  compareVotes,
  DISSENT_GAP,
  type RankRow,
  tally,
  type VoteRow,
} from './tally.ts';
