export { buildAss, type CaptionStyle, captionLines, DEFAULT_CAPTION_STYLE } from './captions.ts';
export { type EditorOptions, editorKind } from './editor.ts';
export {
  audioArgs,
  DEFAULT_ENCODE,
  type EncodeSettings,
  LOUDNESS_TARGET,
  loudnessArgs,
  OPERATIONS,
  parseIntegrated,
  renderArgs,
} from './plan.ts';
export { type RenderDeps, render } from './render.ts';
