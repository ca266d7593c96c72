export { PLACED_WORKERS } from './cognitive-schema.ts';
export { defaultConfig } from './defaults.ts';
export { describeConfig } from './describe.ts';
export { ConfigError, type ConfigViolation } from './errors.ts';
export {
  type ConfigOverrides,
  DEFAULT_CONFIG_FILE,
  type DeepPartial,
  type LoadConfigOptions,
  loadConfig,
  processEnv,
} from './load.ts';
export { type OpsConfig, opsSlice } from './ops-schema.ts';
export { configSchema, type OmnivaConfig } from './schema.ts';
export { isSecretEnv, SECRET_ENV } from './secret-env.ts';
export {
  type LogConfig,
  logSlice,
  type NatsConfig,
  natsSlice,
  type RuntimeConfig,
  runtimeSlice,
} from './slices.ts';
