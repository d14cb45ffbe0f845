/** The real service (startService) on a test database and a free port, with an admin key for writes. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { startService, type RunningService, type StartOptions } from '../../src/server';
import { createTestDatabase, type TestDatabase } from './db';

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/** The compute variables of this process's environment, which the service's configuration carries (config.ts). */
const COMPUTE_ENV = ['ALIGN_NATIVE', 'ALIGN_EIG', 'ALIGN_CUDA', 'ALIGN_CUDA_LIB_DIRS', 'VIRTUAL_ENV', 'CONDA_PREFIX'];
function computeEnv(): Record<string, string> {
  return Object.fromEntries(COMPUTE_ENV.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
}

export interface TestApp {
  service: RunningService;
  db: TestDatabase;
  url: string;
  /** The readable data root (ALIGN_DATA_ROOTS): tests put their dataset and activation files here. */
  dataDir: string;
  /** The service's private folder (ALIGN_DATA_DIR: uploads, SAE weights), outside every data root. */
  serviceDir: string;
  /** fetch against the app; `auth: true` adds the admin key. */
  request(pathname: string, init?: RequestInit & { auth?: boolean; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const base = await mkdtemp(path.join(os.tmpdir(), 'align-test-data-'));
  const dataDir = path.join(base, 'data');
  const serviceDir = path.join(base, 'service');
  await mkdir(dataDir);
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: db.url,
    ALIGN_DATA_DIR: serviceDir,
    ALIGN_DATA_ROOTS: dataDir,
    ALIGN_ADMIN_KEY: TEST_ADMIN_KEY,
    LOG_LEVEL: 'silent',
    ALIGN_BACKEND: 'wasm',
    ...computeEnv(),
    ...env,
  });
  const service = await startService(config, opts);
  const url = service.url;
  return {
    service,
    db,
    url,
    dataDir,
    serviceDir,
    request(pathname, init = {}) {
      const headers = new Headers(init.headers);
      if (init.auth) headers.set('Authorization', `Bearer ${TEST_ADMIN_KEY}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('Content-Type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(url + pathname, { ...init, headers, body });
    },
    async close() {
      await service.stop();
      await db.drop();
      // The app's data and store (2 GiB after the large-upload test): left behind, every run filled the disk more.
      await rm(base, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
