/**
 * A real PostgreSQL server from the distribution's binaries (Debian's `postgresql` package:
 * /usr/lib/postgresql/<major>/bin), not the embedded one: initdb into a temporary folder, pg_ctl start and
 * stop (fast shutdown, as an operator would), trust authentication on 127.0.0.1 only. As root the server runs
 * as the `postgres` user, which owns the folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports';

const ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin folder, or null when the distribution's server is not installed. */
export function debianPostgresBin(): string | null {
  const majors = existsSync(ROOT)
    ? readdirSync(ROOT)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const v = majors.find((m) => existsSync(path.join(ROOT, m, 'bin', 'initdb')));
  return v ? path.join(ROOT, v, 'bin') : null;
}

export interface DebianPostgres {
  port: number;
  /** URL of `database` (trust authentication as user postgres). */
  url(database: string): string;
  /** pg_ctl start -w (after stop). */
  start(): Promise<void>;
  /** pg_ctl stop -m fast -w: connections are terminated (57P01), new ones refused until start. */
  stop(): Promise<void>;
  /** Stop the server and delete its folder. */
  destroy(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** Run a server binary (as the postgres user when we are root); rejects with its output on failure. */
function run(bin: string, tool: string, args: string[]): Promise<void> {
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]]
    : [path.join(bin, tool), args];
  return new Promise((resolve, reject) => {
    // 'exit', not 'close': the server that pg_ctl starts must not hold our pipes open.
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${tool} ${args[0]}: exit ${code}\n${out}`)),
    );
  });
}

export async function startDebianPostgres(bin: string): Promise<DebianPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'align-debian-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (asRoot) {
    const { uid, gid } = await pgUser();
    await chmod(dir, 0o755);
    await chown(dir, uid, gid);
  }
  await run(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // Fast and disposable: no fsync; the socket in our folder, TCP on loopback only.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = () => run(bin, 'pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', options]);
  const stop = () => run(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
  const url = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  await start().catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${await readFile(log, 'utf8').catch(() => '')}`);
  });
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE align');
  await admin.end();
  return {
    port,
    url,
    start,
    stop,
    async destroy() {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function pgUser(): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres user (Debian creates it with the postgresql package)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
