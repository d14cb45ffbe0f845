/**
 * Starts everything a process needs (database, compute backend, HTTP, workers) and stops it in
 * reverse order. Used by main.ts, the CLI demo and the API tests, so they all run the same code.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { configureCompute, initBackend, type BackendInfo } from './compute/backend';
import { defaultDataRoot, type Config } from './config';
import { openDatabase, type Database } from './db/database';
import { createApp } from './http/app';
import type { AppContext } from './http/context';
import { jobHandlers } from './jobs/handlers';
import { startJobQueue, type JobQueue } from './queue/queue';
import { createLogger } from './logger';
import { listenForResultChanges, onResultsChanged } from './db/notify';
import { ResponseCache } from './http/response-cache';
import { answerClientErrors, guardRequestPace, httpServerOptions } from './http/server-options';
import { moveLegacyArtefacts } from './services/artefacts';

export interface RunningService {
  url: string;
  port: number;
  db: Database;
  backend: BackendInfo;
  context: AppContext;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Serve HTTP (default true); false for a worker-only process. */
  http?: boolean;
  logger?: Logger;
}

export async function startService(config: Config, opts: StartOptions = {}): Promise<RunningService> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // The default data root exists from the first start, so a newcomer sees where datasets go.
  const defaultRoot = defaultDataRoot(config.dataDir);
  if (config.dataRoots.includes(defaultRoot)) await mkdir(defaultRoot, { recursive: true });
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgDir: config.pgDir,
    pgPort: config.pgPort,
    log: (line) => logger.debug({ component: 'postgres' }, line),
  });
  logger.info({ embedded: db.embedded, mode: db.mode, appliedMigrations: db.appliedMigrations }, 'database ready');
  let server: Server | null = null;
  let jobs: JobQueue | undefined;
  let stopListening: (() => Promise<void>) | undefined;
  try {
    // Files that rows name by absolute path from before the artefact store move into it before any job runs.
    await moveLegacyArtefacts(db.prisma, config, logger);
    // The compute backend is chosen once, from the validated configuration; compute threads inherit it.
    configureCompute(config.compute);
    const backend = await initBackend(config.compute.tensor);
    logger.info({ backend: backend.name, skipped: backend.skipped }, 'compute backend ready');
    const cache = new ResponseCache();
    const context: AppContext = {
      prisma: db.prisma,
      config,
      logger,
      backend,
      startedAt: new Date(),
      embeddedDatabase: db.embedded,
      databaseMode: db.mode,
      cache,
    };
    stopListening = await listenForResultChanges(db.url, (err) =>
      logger.warn({ err }, 'results notification channel error'),
    );
    onResultsChanged(() => cache.clear());
    const workers = opts.http === false ? Math.max(1, config.workers) : config.workers;
    jobs = context.jobs = await startJobQueue({
      databaseUrl: db.url,
      prisma: db.prisma,
      config,
      logger,
      backend,
      handlers: jobHandlers(),
      workers,
    });
    let port = 0;
    if (opts.http !== false) {
      const app = createApp(context);
      // (express 5's app.listen calls back on errors too; listen on a plain http server instead)
      const httpServer = createServer(httpServerOptions(config), app);
      answerClientErrors(httpServer);
      guardRequestPace(httpServer, config);
      server = httpServer;
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      port = (server.address() as AddressInfo).port;
      logger.info({ url: `http://${config.host}:${port}` }, 'listening');
    }
    let stopping: Promise<void> | null = null;
    return {
      url: `http://${config.host}:${port}`,
      port,
      db,
      backend,
      context,
      logger,
      stop() {
        stopping ??= (async () => {
          if (server) {
            // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
            const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
            server.closeIdleConnections();
            await closed;
          }
          await context.jobs?.stop();
          await stopListening?.();
          await db.close();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    server?.close();
    await jobs?.stop().catch(() => undefined);
    await stopListening?.().catch(() => undefined);
    await db.close();
    throw err;
  }
}
