export { ANALYZER_VERSION, type AnalyzeDeps, analyze } from './analyze.ts';
export { type AnalyzerOptions, analyzerKind } from './analyzer.ts';
export { type AsrBackend, type AsrOptions, DEFAULT_ASR, parseSphinx } from './asr.ts';
export {
  type CandidateOptions,
  DEFAULT_CANDIDATES,
  type Explained,
  selectCandidates,
  WEIGHTS,
} from './candidates.ts';
export { type MediaFeatures, measure } from './features.ts';
export { topKeywords } from './keywords.ts';
export {
  type Chunk,
  fromCaptions,
  fromWords,
  mergeChunks,
  type Segment,
  type Transcript,
  toSentences,
  type Word,
} from './transcript.ts';
