export {
  DEFAULT_ECLIPSE,
  type EclipseOptions,
  eclipseKind,
  eclipseMachine,
  jitter,
  planRecovery,
  retryDelay,
} from './eclipse.ts';
export { place, type ZenithOptions, zenithKind, zenithMachine } from './zenith.ts';
