import type { OmnivaConfig } from './schema.ts';

export type NatsConfig = OmnivaConfig['nats'];
export type RuntimeConfig = OmnivaConfig['runtime'];

/** What the root logger needs: its level and the identity stamped on every line. */
export interface LogConfig {
  level: OmnivaConfig['log']['level'];
  site_id: string;
  host_id: string;
}

export function natsSlice(cfg: Readonly<OmnivaConfig>): Readonly<NatsConfig> {
  return cfg.nats;
}

export function runtimeSlice(cfg: Readonly<OmnivaConfig>): Readonly<RuntimeConfig> {
  return cfg.runtime;
}

// Shaped to spread into the logger's options: `createLogger({ ...logSlice(cfg) })`.
export function logSlice(cfg: Readonly<OmnivaConfig>): Readonly<LogConfig> {
  return { level: cfg.log.level, site_id: cfg.site_id, host_id: cfg.host_id };
}
