/** The real service as a user runs it (`npm start`), with its output captured, for lifecycle tests. */
import { spawn, type ChildProcess } from 'node:child_process';

export const SERVICE_ADMIN_KEY = 'lifecycle-admin-key-0123456789';

export interface Started {
  child: ChildProcess;
  logs: string[];
  url: string;
}

function spawnService(
  dataDir: string,
  port: number,
  extraEnv: Record<string, string>,
): { child: ChildProcess; logs: string[]; stderr: string[] } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    ALIGN_DATA_DIR: dataDir,
    ALIGN_ADMIN_KEY: SERVICE_ADMIN_KEY,
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  delete env.DATABASE_URL;
  if (!('ALIGN_PG_PORT' in extraEnv)) delete env.ALIGN_PG_PORT;
  const child = spawn('npm', ['start', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d) => logs.push(String(d)));
  child.stderr!.on('data', (d) => {
    logs.push(String(d));
    stderr.push(String(d));
  });
  return { child, logs, stderr };
}

/** `npm start` on `dataDir` until /v1/health answers 200. */
export async function startService(
  dataDir: string,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<Started> {
  const { child, logs } = spawnService(dataDir, port, extraEnv);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited early:\n${logs.join('')}`);
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.status === 200) return { child, logs, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not become healthy:\n${logs.join('')}`);
}

/** `npm start` expected to fail: its exit code and what it wrote to stderr. */
export async function startFailing(
  dataDir: string,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; logs: string }> {
  const { child, logs, stderr } = spawnService(dataDir, port, extraEnv);
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr: stderr.join(''), logs: logs.join('') };
}

/** SIGTERM the npm process; resolves true when the service itself shut down cleanly. */
export async function stopService(s: Started): Promise<boolean> {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    s.child.once('close', (code, signal) => resolve({ code, signal })),
  );
  s.child.kill('SIGTERM');
  const { code, signal } = await exited;
  // 'close' waits for the service itself (it holds the pipes); npm relays the signal and may end by it.
  return (code === 0 || signal === 'SIGTERM') && s.logs.join('').includes('"msg":"stopped"');
}

export function logLine(logs: string[], msg: string): Record<string, unknown> {
  for (const line of logs.join('').split('\n')) {
    if (line.includes(`"msg":"${msg}"`)) return JSON.parse(line);
  }
  throw new Error(`no "${msg}" log line`);
}
