/**
 * The hostile-input suite (issue 10, "Done when"): thousands of hostile requests generated from
 * openapi.yaml (test/fuzz/hostile-requests.ts, seeded) against the service started as `npm start`
 * starts it (a child process on a real PostgreSQL, its own stdout captured), over real HTTP.
 * Asserts: no 5xx; every 4xx is problem+json (with field errors for validation problems); no stack
 * traces in any body; no API key in the service's log; every request the spec makes invalid is
 * refused; no rows written. Prints one summary line. HOSTILE_SEED and HOSTILE_TOTAL override the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { createApiKey, revokeApiKey } from '../../src/services/api-keys';
import { generateHostileRequests, loadOperations, type HostileRequest } from '../fuzz/hostile-requests';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { freePort } from '../helpers/ports';
import { rawRequest } from '../helpers/raw-http';
import { rowCounts } from '../helpers/row-counts';

const SEED = Number(process.env.HOSTILE_SEED ?? 20261129);
const TOTAL = Number(process.env.HOSTILE_TOTAL ?? 5200);
const ADMIN_KEY = 'hostile-admin-key-0123456789abcdef';

let db: TestDatabase;
let dir: string;
let child: ChildProcess;
let port: number;
const log: string[] = [];
const secrets: string[] = [ADMIN_KEY];
let ctxKeys: string[];
let badKeys: string[];
let ids: Record<string, string>;

async function startServiceProcess(env: Record<string, string>): Promise<void> {
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => log.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => log.push(d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${log.join('')}`)), 90_000);
    const check = () => {
      if (log.join('').includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`service exited with ${code}:\n${log.join('')}`)));
  });
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function send(req: HostileRequest): Promise<Answer> {
  if (req.raw) {
    return rawRequest(port, req.raw, { waitMs: 15_000 }).then((r) => ({
      status: r.status,
      contentType: r.headers['content-type'] ?? '',
      body: r.body,
    }));
  }
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['Content-Length'] = String(req.body.length);
    const q = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.target, headers, agent, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    q.on('timeout', () => q.destroy(new Error('no answer within 15 s')));
    q.on('error', (err: NodeJS.ErrnoException) => {
      // The service may close a refused upload mid-body; with no status line that is a failure too.
      resolve({ status: 0, contentType: '', body: `client error: ${err.code ?? err.message}` });
    });
    q.end(req.body);
  });
}

async function api(
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'align-hostile-'));
  const roots = path.join(dir, 'roots');
  await mkdir(path.join(roots, 'acts'), { recursive: true });
  await writeFile(
    path.join(roots, 'acts/l1.npy'),
    writeNpy(
      Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
      [4, 3],
    ),
  );
  await writeFile(path.join(roots, 'acts/ids.npy'), writeNpy(Int32Array.from([5, 17, 3, 40]), [4]));
  port = await freePort();
  await startServiceProcess({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    ALIGN_DATA_DIR: path.join(dir, 'service'),
    ALIGN_DATA_ROOTS: roots,
    ALIGN_ADMIN_KEY: ADMIN_KEY,
    ALIGN_BACKEND: 'wasm',
    ALIGN_WORKERS: '0',
    LOG_LEVEL: 'debug',
  });
  const key = await createApiKey(db.prisma, 'hostile');
  const revoked = await createApiKey(db.prisma, 'revoked');
  await revokeApiKey(db.prisma, revoked.id);
  ctxKeys = [ADMIN_KEY, key.key];
  badKeys = [revoked.key, 'ak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'hostile-admin-key-0123456789abcdeX'];
  secrets.push(key.key, ...badKeys);
  const model = await api('POST', '/v1/models', { name: 'victim' });
  expect(model.status).toBe(201);
  const layer = await api('POST', `/v1/models/${model.json.id}/layers`, {
    name: 'l1',
    activations: { path: 'acts/l1.npy' },
    stimulusIds: { path: 'acts/ids.npy' },
  });
  expect(layer.status).toBe(201);
  ids = { '/v1/models': String(model.json.id), '/v1/layers': String(layer.json.id) };
}, 180_000);

afterAll(async () => {
  agent.destroy();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const STACK = /\n\s+at |\bat [\w.<>]+ \(.*:\d+:\d+\)|node_modules|\/src\/[\w/.-]+\.ts|\bError: [A-Z]/;

describe('hostile input generated from openapi.yaml', () => {
  it('answers every hostile request with a problem+json 4xx (never 5xx, never a stack trace, never a key in the log) and writes nothing', async () => {
    const ops = loadOperations('openapi.yaml');
    const requests = generateHostileRequests(ops, { keys: ctxKeys, badKeys, ids }, { seed: SEED, total: TOTAL });
    expect(requests.length).toBeGreaterThanOrEqual(Math.min(TOTAL, 5000));
    expect(new Set(requests.map((r) => r.operationId))).toEqual(new Set(ops.map((o) => o.operationId)));

    const before = await rowCounts(db.prisma);
    const failures: string[] = [];
    const byStatus: Record<number, number> = {};
    const byKind: Record<string, number> = {};
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const req = requests[next++];
        const a = await send(req);
        byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
        byKind[req.kind] = (byKind[req.kind] ?? 0) + 1;
        const what = `${req.kind} ${req.method} ${req.target.slice(0, 160)} -> ${a.status} ${a.body.slice(0, 300)}`;
        if (a.status === 0 || a.status >= 500) failures.push(`no 4xx: ${what}`);
        if (req.reject && a.status < 400) failures.push(`accepted: ${what}`);
        if (req.status && a.status !== req.status && a.status < 500) failures.push(`expected ${req.status}: ${what}`);
        if (STACK.test(a.body)) failures.push(`stack trace: ${what}`);
        if (a.status >= 400) {
          if (!a.contentType.startsWith('application/problem+json'))
            failures.push(`not problem+json (${a.contentType}): ${what}`);
          else {
            let p: {
              type?: string;
              title?: string;
              status?: number;
              detail?: string;
              errors?: { field?: unknown; reason?: unknown }[];
            } = {};
            try {
              p = JSON.parse(a.body);
            } catch {
              failures.push(`problem body is not JSON: ${what}`);
            }
            if (
              typeof p.type !== 'string' ||
              typeof p.title !== 'string' ||
              p.status !== a.status ||
              typeof p.detail !== 'string'
            )
              failures.push(`incomplete problem: ${what}`);
            if (
              p.type === '/problems/validation' &&
              !(p.errors?.length && p.errors.every((e) => typeof e.field === 'string' && typeof e.reason === 'string'))
            ) {
              failures.push(`validation problem without field errors: ${what}`);
            }
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const after = await rowCounts(db.prisma);

    // The service writes its log asynchronously; give the last lines a moment.
    await new Promise((r) => setTimeout(r, 500));
    const logText = log.join('');
    const leaked = secrets.filter((k) => logText.includes(k));

    console.log(
      `hostile-input: seed ${SEED}, ${requests.length} requests over ${ops.length} operations in ${seconds.toFixed(1)} s; ` +
        `status ${JSON.stringify(byStatus)}; kinds ${JSON.stringify(byKind)}; failures ${failures.length}; log ${logText.length} bytes, keys leaked ${leaked.length}`,
    );
    expect(failures.slice(0, 25)).toEqual([]);
    expect(logText.length).toBeGreaterThan(100_000);
    expect(leaked).toEqual([]);
    expect(after).toEqual(before);
  }, 600_000);
});
