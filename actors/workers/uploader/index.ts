export { asUploaderError, UploaderError } from './errors.ts';
export { LocalTarget, type LocalTargetOptions } from './local-target.ts';
export { isSecretRef, resolveSecret, type SecretEnv, type SecretRef } from './secrets.ts';
export type { PublishInput, PublishResult, PublishTarget, PublishTargetName } from './targets.ts';
export { UPLOADER, type UploaderOptions, uploaderKind } from './uploader.ts';
export { YoutubeTarget, type YoutubeTargetOptions } from './youtube-target.ts';
