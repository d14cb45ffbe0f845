/**
 * Service configuration from the environment, validated once at start.
 * Every variable is documented in README.md ("Configuration").
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { isInside, realpathLenient } from './nsd/paths';

const booleanFlag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Postgres connection string; when unset an embedded server is started under ALIGN_DATA_DIR/pg. */
  DATABASE_URL: z.string().url().optional(),
  ALIGN_DATA_DIR: z.string().min(1).default('./data'),
  /**
   * The artefact store: uploaded layer files and SAE weights, by content hash, for every process of the
   * service (on a cluster, a shared filesystem path). Default ALIGN_DATA_DIR/store.
   */
  ALIGN_STORE_DIR: z.string().min(1).optional(),
  /**
   * Port of the embedded Postgres (only used when DATABASE_URL is unset). Unset: each data directory's
   * server gets a free port at first start, recorded beside it (ALIGN_DATA_DIR/pg.json) and reused.
   */
  ALIGN_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /**
   * Folders the service may read data from, separated by ":" (path.delimiter). Defaults to
   * ALIGN_DATA_DIR/datasets; a root may not hold (or lie in) the service's private folders.
   */
  ALIGN_DATA_ROOTS: z.string().optional(),
  /** A key accepted as admin for automation (scripts, CI); stored nowhere. */
  ALIGN_ADMIN_KEY: z.string().min(16, 'ALIGN_ADMIN_KEY must be at least 16 characters').optional(),
  /** Require a key for reads too. */
  ALIGN_READS_REQUIRE_KEY: booleanFlag.default(false),
  /** In-process job workers (0: this process only serves HTTP). */
  ALIGN_WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  /** A running job not finished after this long is considered lost (worker killed) and retried. */
  ALIGN_JOB_EXPIRE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(4 * 3600),
  /** A running job without a heartbeat for this long lost its worker and is retried elsewhere. */
  ALIGN_JOB_STALE_SECONDS: z.coerce.number().min(2).max(86_400).default(120),
  ALIGN_JOB_RETRIES: z.coerce.number().int().min(0).max(20).default(2),
  /** A worker that stopped heart-beating (shown as gone after ALIGN_JOB_STALE_SECONDS) is forgotten after this. */
  ALIGN_WORKER_PRUNE_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .default(86_400),
  /**
   * Memory (MiB) one job may use on a worker: a study or alignment whose unit is estimated above it is refused at
   * POST (services/memory.ts). Unset: 80% of the machine's memory (the cgroup limit when lower), divided by
   * ALIGN_WORKERS when that is above 1 (defaultWorkerMemoryMb).
   */
  ALIGN_WORKER_MEMORY_MB: z.coerce
    .number()
    .int()
    .min(64)
    .max(1 << 30)
    .optional(),
  /** How often pg-boss looks for expired jobs. */
  ALIGN_JOB_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  ALIGN_JOB_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(1),
  /**
   * The time every request gets to arrive (headers and body); a body may take one more second per
   * ALIGN_UPLOAD_MIN_RATE_KBPS kilobytes it has sent, so large uploads at ordinary speeds fit. Headers alone:
   * ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS.
   */
  ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().max(86_400).default(120),
  /** The slowest average rate (kilobytes, 1000 bytes, per second) a request body may arrive at after that time. */
  ALIGN_UPLOAD_MIN_RATE_KBPS: z.coerce.number().positive().max(10_000_000).default(50),
  ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(20),
  /** Force one rung of the tensor backend ladder (src/compute/tensor-backend.ts); unset: the first that loads. */
  ALIGN_BACKEND: z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).optional(),
  /** '0' never loads the native OpenBLAS/LAPACKE addon (the TypeScript/tfjs paths run instead). */
  ALIGN_NATIVE: z.enum(['0', '1']).default('1'),
  /** 'ts' keeps the eigendecomposition off TensorFlow's float32 kernel (the tensorflow rungs only). */
  ALIGN_EIG: z.enum(['auto', 'ts']).default('auto'),
  /** CUDA path (cuBLAS/cuSOLVER/cuSPARSE loaded at run time): 'auto' uses it when a GPU answers, '0' never. */
  ALIGN_CUDA: z.enum(['auto', '0']).default('auto'),
  /** Extra folders (":"-separated) searched first for libcudart, libcublas, libcusolver and libcusparse. */
  ALIGN_CUDA_LIB_DIRS: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  pgDir: string;
  pgPort?: number;
  dataRoots: string[];
  /** The artefact store (ALIGN_STORE_DIR): uploads and SAE weights by content hash, shared by every process. */
  storeDir: string;
  /**
   * Service-private folders, never inside a data root: the database, the artefact store, and the folders where
   * versions before the store kept uploads and SAE weights (moved into the store at start).
   */
  privateDirs: { pg: string; store: string; uploads: string; saes: string };
  adminKey?: string;
  readsRequireKey: boolean;
  workers: number;
  jobExpireSeconds: number;
  jobRetries: number;
  jobStaleSeconds: number;
  jobMaintenanceSeconds: number;
  jobPollSeconds: number;
  /** Gone workers (no heartbeat for jobStaleSeconds) are deleted from the list after this long. */
  workerPruneSeconds: number;
  /** ALIGN_WORKER_MEMORY_MB or its default from the machine: the memory one job may use (MiB), and whence. */
  workerMemory: WorkerMemory;
  backend?: TensorBackendName;
  /** Everything the compute core reads from the environment (handed to compute threads as it is). */
  compute: ComputeSettings;
  logLevel: string;
  httpRequestTimeoutSeconds: number;
  httpHeadersTimeoutSeconds: number;
  /** ALIGN_UPLOAD_MIN_RATE_KBPS: a request body gets one second more per this many kilobytes received. */
  uploadMinRateKbps: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type TensorBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface CudaSettings {
  /** 'auto': use the GPU when the libraries load and a device answers; 'off': never (ALIGN_CUDA=0). */
  mode: 'auto' | 'off';
  /** ALIGN_CUDA_LIB_DIRS, split; searched before the usual places. */
  libDirs: string[];
  /** Python environments whose site-packages may hold NVIDIA's library wheels (VIRTUAL_ENV, CONDA_PREFIX). */
  pythonPrefixes: string[];
}

/**
 * The compute core's settings (src/compute/backend.ts resolves the implementation of each operation from them).
 * Plain data: compute threads receive it through workerData instead of reading the environment.
 */
export interface ComputeSettings {
  /** ALIGN_BACKEND: one forced tensor backend rung; unset: the whole ladder. */
  tensor?: TensorBackendName;
  /** ALIGN_NATIVE: false never loads the OpenBLAS/LAPACKE addon. */
  native: boolean;
  /** ALIGN_EIG: 'ts' keeps symEig off TensorFlow's float32 kernel. */
  eig: 'auto' | 'ts';
  cuda: CudaSettings;
}

const ComputeSchema = ConfigSchema.pick({
  ALIGN_BACKEND: true,
  ALIGN_NATIVE: true,
  ALIGN_EIG: true,
  ALIGN_CUDA: true,
  ALIGN_CUDA_LIB_DIRS: true,
});

/** One variable of ComputeSchema, or its default when it is invalid (loadConfig() reports it at start). */
function lenient<K extends keyof typeof ComputeSchema.shape>(
  key: K,
  env: NodeJS.ProcessEnv,
): z.infer<typeof ComputeSchema>[K] {
  const field = ComputeSchema.shape[key];
  const parsed = field.safeParse(env[key]);
  return (parsed.success ? parsed.data : field.safeParse(undefined).data) as z.infer<typeof ComputeSchema>[K];
}

/**
 * The compute settings alone, for the compute core, which never needs the rest of the configuration (tests,
 * benchmarks and the CLI use it without a service). An invalid value reads as its default here.
 */
export function computeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ComputeSettings {
  const tensor = lenient('ALIGN_BACKEND', env);
  return {
    ...(tensor ? { tensor } : {}),
    native: lenient('ALIGN_NATIVE', env) !== '0',
    eig: lenient('ALIGN_EIG', env),
    cuda: {
      mode: lenient('ALIGN_CUDA', env) === '0' ? 'off' : 'auto',
      libDirs: (lenient('ALIGN_CUDA_LIB_DIRS', env) ?? '')
        .split(path.delimiter)
        .filter((s) => s.length > 0)
        .map((s) => path.resolve(s)),
      pythonPrefixes: [env.VIRTUAL_ENV, env.CONDA_PREFIX].filter((s): s is string => !!s),
    },
  };
}

/** What the command line client (npm run cli -- study) reads: the service's address and a key. */
export interface CliConfig {
  url: string;
  apiKey?: string;
}

const CliSchema = z.object({
  ALIGN_URL: z.string().min(1).default('http://127.0.0.1:8080'),
  ALIGN_API_KEY: z.string().optional(),
  ALIGN_ADMIN_KEY: z.string().optional(),
});

/** ALIGN_URL (default http://127.0.0.1:8080) and ALIGN_API_KEY, else ALIGN_ADMIN_KEY. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const parsed = CliSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const key = parsed.data.ALIGN_API_KEY ?? parsed.data.ALIGN_ADMIN_KEY;
  return { url: parsed.data.ALIGN_URL, ...(key !== undefined ? { apiKey: key } : {}) };
}

/** A copy of this process's environment with `defaults` filled in where unset (the demo's own service). */
export function environmentWithDefaults(defaults: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(defaults)) env[k] ??= v;
  return env;
}

/** Parse and validate the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.ALIGN_DATA_DIR);
  const storeDir = path.resolve(e.ALIGN_STORE_DIR ?? path.join(dataDir, 'store'));
  const privateDirs = {
    pg: path.join(dataDir, 'pg'),
    store: storeDir,
    uploads: path.join(dataDir, 'uploads'),
    saes: path.join(dataDir, 'saes'),
  };
  const roots = (e.ALIGN_DATA_ROOTS ?? defaultDataRoot(dataDir))
    .split(path.delimiter)
    .filter((s) => s.length > 0)
    .map((s) => path.resolve(s));
  checkRootsArePublic(roots, privateDirs);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    pgDir: privateDirs.pg,
    pgPort: e.ALIGN_PG_PORT,
    dataRoots: roots,
    storeDir,
    privateDirs,
    adminKey: e.ALIGN_ADMIN_KEY,
    readsRequireKey: e.ALIGN_READS_REQUIRE_KEY,
    workers: e.ALIGN_WORKERS,
    jobExpireSeconds: e.ALIGN_JOB_EXPIRE_SECONDS,
    jobRetries: e.ALIGN_JOB_RETRIES,
    jobStaleSeconds: e.ALIGN_JOB_STALE_SECONDS,
    jobMaintenanceSeconds: e.ALIGN_JOB_MAINTENANCE_SECONDS,
    jobPollSeconds: e.ALIGN_JOB_POLL_SECONDS,
    workerPruneSeconds: e.ALIGN_WORKER_PRUNE_SECONDS,
    workerMemory:
      e.ALIGN_WORKER_MEMORY_MB === undefined
        ? defaultWorkerMemoryMb(e.ALIGN_WORKERS)
        : { mb: e.ALIGN_WORKER_MEMORY_MB, from: 'ALIGN_WORKER_MEMORY_MB' },
    backend: e.ALIGN_BACKEND,
    compute: computeSettingsFromEnv(env),
    logLevel: e.LOG_LEVEL,
    httpRequestTimeoutSeconds: e.ALIGN_HTTP_REQUEST_TIMEOUT_SECONDS,
    httpHeadersTimeoutSeconds: e.ALIGN_HTTP_HEADERS_TIMEOUT_SECONDS,
    uploadMinRateKbps: e.ALIGN_UPLOAD_MIN_RATE_KBPS,
  };
}

export interface WorkerMemory {
  /** MiB one job may use. */
  mb: number;
  /** Where the number comes from: the variable, or the default's source (cgroup limit or the machine's memory). */
  from: 'ALIGN_WORKER_MEMORY_MB' | 'cgroup' | 'machine';
}

/** The cgroup's memory limit in bytes (v2 memory.max, else v1), or null without one ("max", absent, unreadable). */
export function cgroupMemoryLimit(read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | null {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = Number(read(file).trim());
      // cgroup v1 reports "no limit" as a huge page-aligned number (about 2^63).
      if (Number.isFinite(v) && v > 0 && v < 2 ** 60) return v;
    } catch {
      // no such controller here
    }
  }
  return null;
}

/**
 * ALIGN_WORKER_MEMORY_MB's default: 80% of the memory this process may use (the cgroup limit when it is lower
 * than the machine's), shared by the in-process workers when ALIGN_WORKERS > 1 (each may run a job at once).
 */
export function defaultWorkerMemoryMb(
  workers: number,
  machine: { totalBytes?: number; cgroupBytes?: number | null } = {},
): WorkerMemory {
  const total = machine.totalBytes ?? os.totalmem();
  const cgroup = machine.cgroupBytes === undefined ? cgroupMemoryLimit() : machine.cgroupBytes;
  const limited = cgroup !== null && cgroup < total;
  const bytes = (0.8 * (limited ? cgroup : total)) / Math.max(1, workers);
  return { mb: Math.floor(bytes / 2 ** 20), from: limited ? 'cgroup' : 'machine' };
}

/** The readable root when ALIGN_DATA_ROOTS is unset: a folder beside (not above) the private ones. */
export function defaultDataRoot(dataDir: string): string {
  return path.join(dataDir, 'datasets');
}

const PRIVATE_WHAT = {
  pg: 'the embedded database',
  store: 'the artefact store (uploads, SAE weights)',
  uploads: 'uploaded files',
  saes: 'SAE weights',
} as const;

/**
 * A root that holds a private folder (or lies inside one) would let any key holder read the database's
 * files through a dataset manifest or an SAE import; refuse it at start, with the way out.
 * Compared both as written and with symlinks resolved.
 */
function checkRootsArePublic(roots: readonly string[], privateDirs: Config['privateDirs']): void {
  for (const root of roots) {
    for (const [k, dir] of Object.entries(privateDirs) as [keyof typeof PRIVATE_WHAT, string][]) {
      const pairs: [string, string][] = [
        [root, dir],
        [realpathLenient(root), realpathLenient(dir)],
      ];
      if (pairs.some(([r, d]) => isInside(d, r) || isInside(r, d))) {
        throw new ConfigError(
          `invalid configuration: ALIGN_DATA_ROOTS entry ${root} overlaps ${dir}, which holds ${PRIVATE_WHAT[k]}; list only the folders holding your datasets and activations (the default is ALIGN_DATA_DIR/datasets)`,
        );
      }
    }
  }
}
