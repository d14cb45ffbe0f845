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


/** Printed tables: model -> representation -> layer -> ROI -> value. */
function parseTables(out: string): Map<string, Map<string, Map<string, Map<string, number | null>>>> {
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
    if (line === 'neurons' || line === 'SAE latents' || line === 'SAE - neurons') {
      rep = { neurons: 'neurons', 'SAE latents': 'sae', 'SAE - neurons': 'difference' }[line]!;
      result.get(model)!.set(rep, new Map());
      continue;
    }
    const cells = line.trim().split(/\s+/);
    if (cells[0] === 'layer') {
      rois = cells.slice(1);
      continue;
    }
    if (model && rep && rois.length && cells.length === rois.length + 1 && /^[ab]\.block\d$/.test(cells[0])) {
      result.get(model)!.get(rep)!.set(cells[0], new Map(rois.map((r, i) => [r, cells[i + 1] === '-' ? null : Number(cells[i + 1])])));
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
      const tables = parseTables(out);
      expect([...tables.keys()]).toEqual(['demo-net-a', 'demo-net-b']);
      const url = `http://127.0.0.1:${port}`;
      // The dashboard's address is printed and serves the built page.
      expect(out).toContain(`dashboard: ${url}/`);
      const home = await fetch(`${url}/`);
      expect(home.headers.get('content-type')).toContain('text/html');
      expect(await home.text()).toContain('<main id="page"');
      const models = (await (await fetch(`${url}/v1/models`)).json()).items as { id: string; name: string }[];
      let cells = 0;
      for (const [name, reps] of tables) {
        const model = models.find((m) => m.name === name)!;
        for (const [rep, layers] of reps) {
          const m = await (await fetch(`${url}/v1/scores/matrix?modelId=${model.id}&subject=subj01&atlas=prf-visualrois&representation=${rep}`)).json();
          expect([...layers.keys()]).toEqual(m.layers.map((l: { name: string }) => l.name));
          m.layers.forEach((l: { name: string }, i: number) => {
            m.rois.forEach((roi: string, j: number) => {
              const printed = layers.get(l.name)!.get(roi);
              expect(printed).not.toBeNull();
              expect(Math.abs((printed as number) - m.values[i][j])).toBeLessThanOrEqual(5e-5);
              cells++;
            });
          });
        }
      }
      expect(cells).toBe(3 * 5 * 7);
    } finally {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await closed;
      clearTimeout(killer);
    }
  }, 300_000);
});
