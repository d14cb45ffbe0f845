/**
 * `npm run demo` on the embedded database (the README's first command): it finishes, prints the
 * layer x ROI tables, and keeps serving exactly those numbers at /v1/scores/matrix.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';


/** Printed tables: model -> representation -> layer -> ROI -> value; `marked` collects the '*' (q < 0.05) cells. */
function parseTables(out: string, marked = new Set<string>()): Map<string, Map<string, Map<string, Map<string, number | null>>>> {
  const result = new Map<string, Map<string, Map<string, Map<string, number | null>>>>();
  let model = '';
  let rep = '';
  let rois: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(demo-net-\w+): ridge/.exec(line);
    if (m) {
      model = m[1];
      result.set(model, new Map());
      continue;
    }
    if (line === 'neurons' || line === 'SAE latents' || line === 'SAE - neurons' || line === 'q (BH), SAE - neurons') {
      rep = { neurons: 'neurons', 'SAE latents': 'sae', 'SAE - neurons': 'difference', 'q (BH), SAE - neurons': 'q' }[line]!;
      result.get(model)!.set(rep, new Map());
      continue;
    }
    const cells = line.trim().split(/\s+/);
    if (cells[0] === 'layer') {
      rois = cells.slice(1);
      continue;
    }
    if (model && rep && rois.length && cells.length === rois.length + 1 && /^[ab]\.block\d$/.test(cells[0])) {
      rois.forEach((r, i) => cells[i + 1].endsWith('*') && marked.add(`${model}|${rep}|${cells[0]}|${r}`));
      const num = (c: string) => (c === '-' ? null : Number(c.replace(/\*$/, '')));
      result.get(model)!.get(rep)!.set(cells[0], new Map(rois.map((r, i) => [r, num(cells[i + 1])])));
    }
  }
  return result;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('prints the layer x ROI tables and serves the same numbers', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'align-demo-'));
    await chmod(base, 0o755);
    dirs.push(base);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ALIGN_DATA_DIR: path.join(base, 'data'), PORT: String(port), ALIGN_PG_PORT: String(await freePort()) };
    delete env.DATABASE_URL;
    delete env.ALIGN_ADMIN_KEY;
    const child = spawn('npm', ['run', 'demo', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const deadline = Date.now() + 240_000;
    while (!out.includes('serving; press Ctrl-C')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`demo did not reach serving:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    try {
      expect(out).toMatch(/demo finished in [\d.]+ s/);
      const marked = new Set<string>();
      const tables = parseTables(out, marked);
      expect([...tables.keys()]).toEqual(['demo-net-a', 'demo-net-b']);
      const url = `http://127.0.0.1:${port}`;
      const models = (await (await fetch(`${url}/v1/models`)).json()).items as { id: string; name: string }[];
      let cells = 0;
      for (const [name, reps] of tables) {
        const model = models.find((m) => m.name === name)!;
        for (const [rep, layers] of reps) {
          if (rep === 'q') continue; // checked with the difference table below
          const m = await (await fetch(`${url}/v1/scores/matrix?modelId=${model.id}&subject=subj01&atlas=prf-visualrois&representation=${rep}`)).json();
          expect([...layers.keys()]).toEqual(m.layers.map((l: { name: string }) => l.name));
          m.layers.forEach((l: { name: string }, i: number) => {
            m.rois.forEach((roi: string, j: number) => {
              const printed = layers.get(l.name)!.get(roi);
              expect(printed).not.toBeNull();
              expect(Math.abs((printed as number) - m.values[i][j])).toBeLessThanOrEqual(5e-5);
              // the difference table marks exactly the cells the API gives q < 0.05
              expect(marked.has(`${name}|${rep}|${l.name}|${roi}`)).toBe(rep === 'difference' && m.q[i][j] !== null && m.q[i][j] < 0.05);
              // and prints the q-values themselves (4 decimals)
              if (rep === 'difference') {
                const q = reps.get('q')!.get(l.name)!.get(roi) ?? null;
                expect(q === null ? null : Math.abs(q - m.q[i][j]) <= 5e-5).toBe(m.q[i][j] === null ? null : true);
              }
              cells++;
            });
          });
        }
      }
      expect(cells).toBe(3 * 5 * 7);
      expect([...tables.values()].every((reps) => reps.has('q'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await closed;
      clearTimeout(killer);
    }
  }, 300_000);
});
