/** What route handlers may use. Built once in main.ts (or a test) and passed to every router. */
import type { Logger } from 'pino';
import type { BackendInfo } from '../compute/backend';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { DatabaseMode } from '../db/database';
import type { JobQueue } from '../queue/queue';
import type { ResponseCache } from './response-cache';

export interface AppContext {
  prisma: Db;
  config: Config;
  logger: Logger;
  backend: BackendInfo;
  /** Job queue (pg-boss); absent only in OpenAPI generation. */
  jobs?: JobQueue;
  startedAt: Date;
  /** Serialised read responses, emptied when results change. */
  cache: ResponseCache;
  /** Whether the database is an embedded server started by this process. */
  embeddedDatabase: boolean;
  /** external, embedded, or how an embedded server was found (attached, restarted orphan). */
  databaseMode: DatabaseMode;
}
