import type { Logger } from './logger.ts';

/**
 * Drains on SIGTERM / SIGINT: in-flight work finishes and is acked, nothing new is
 * taken. A second signal stops at once (unacked work is redelivered elsewhere).
 */
export function drainOnSignals(drain: () => Promise<void>, log: Logger): () => void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      log.warn({ signal }, 'second signal; stopping now');
      process.exit(130);
    }
    draining = true;
    log.info({ signal }, 'draining');
    drain().then(
      () => {
        log.info('drained');
        process.exitCode = process.exitCode ?? 0;
      },
      (err) => {
        log.error({ err }, 'drain failed');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
