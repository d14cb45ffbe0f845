/**
 * Entry point: `npm start` (HTTP + in-process workers) or `npm run worker` (workers only).
 * Config -> database (embedded when DATABASE_URL is unset) -> compute backend -> HTTP + workers.
 * SIGTERM/SIGINT: in-flight requests finish, workers stop, database closes, embedded server stops.
 */
import { ConfigError, loadConfig } from './config';
import { isDatabaseUnavailable } from './db/availability';
import { EmbeddedPostgresError } from './db/embedded';
import { startService } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const workerOnly = process.argv.includes('--worker');
  const service = await startService(config, { http: !workerOnly });
  // A database outage must not end the process (workers reconnect, HTTP answers 503): a stray rejection
  // from a library's unawaited query is logged; any other unhandled rejection still ends it, as by default.
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason)) {
      service.logger.warn({ err: (reason as Error)?.message }, 'database unavailable (unhandled in a library)');
      return;
    }
    service.logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    // A wrapper (npm, tsx) may relay the same SIGTERM; only a second Ctrl-C forces an exit.
    if (shuttingDown) {
      if (signal === 'SIGINT') {
        service.logger.warn({ signal }, 'second interrupt: exiting now');
        process.exit(1);
      }
      return;
    }
    shuttingDown = true;
    service.logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (err) => {
        service.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`failed to start: ${startErrorSentence(err)}`);
  process.exit(1);
});

/** One line for the person starting the service: our errors are sentences already; others lose their stack. */
function startErrorSentence(err: unknown): string {
  if (err instanceof EmbeddedPostgresError) return err.message;
  const message = err instanceof Error ? err.message : err === undefined || err === null ? '' : String(err);
  const first = message.split('\n')[0].trim();
  return first ? `${first} (LOG_LEVEL=debug shows more)` : 'an unexplained error (LOG_LEVEL=debug shows more)';
}
