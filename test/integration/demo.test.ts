/**
 * `npm run demo` on the embedded database (the README's first command): it finishes, prints per subject
 * the layer x ROI tables of its study, and keeps serving exactly those numbers at /v1/studies/{id}.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';

/** Printed tables: subject -> representation -> layer -> ROI -> value. */
function parseTables(out: string): Map<string, Map<string, Map<string, Map<string, number | null>>>> {
  const result = new Map<string, Map<string, Map<string, Map<string, number | null>>>>();
  let subject = '';
  let rep = '';
  let rois: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(subj\d\d): ridge/.exec(line);
    if (m) {
      subject = m[1];
      result.set(subject, new Map());
      continue;
    }
    if (line === 'neurons' || line === 'SAE latents' || line === 'SAE - neurons' || line === 'q (SAE - neurons)') {
      rep = { neurons: 'neurons', 'SAE latents': 'sae', 'SAE - neurons': 'difference', 'q (SAE - neurons)': 'q' }[
        line
      ]!;
      result.get(subject)!.set(rep, new Map());
      continue;
    }
    if (line === 'SAE - neurons per cell') {
      rep = '';
      continue;
    }
    const cells = line.trim().split(/\s+/);
    if (cells[0] === 'layer') {
      rois = cells.slice(1);
      continue;
    }
    if (subject && rep && rois.length && cells.length === rois.length + 1 && /^[ab]\.block\d$/.test(cells[0])) {
      // '*' marks SAE - neurons cells with q < 0.05
      result
        .get(subject)!
        .get(rep)!
        .set(
          cells[0],
          new Map(rois.map((r, i) => [r, cells[i + 1] === '-' ? null : Number(cells[i + 1].replace(/\*$/, ''))])),
        );
    }
  }
  return result;
}

/** The per-cell list: subject|layer|roi -> difference, corrected t interval, p, q (then the conditional columns). */
function parseCells(
  out: string,
): Map<string, { difference: number; lower: number; upper: number; p: number; q: number }> {
  const cells = new Map<string, { difference: number; lower: number; upper: number; p: number; q: number }>();
  let subject = '';
  for (const line of out.split('\n')) {
    const m = /^(subj\d\d): ridge/.exec(line);
    if (m) subject = m[1];
    const c =
      /^([ab]\.block\d)\s+(\S+)\s+([+-][\d.]+)\s+\[([+-][\d.]+), ([+-][\d.]+)\]\s+(\S+)\s+(\S+)( \*| {2}) (\[.*\]|\(no predictions\))\s+(\S+)$/.exec(
        line,
      );
    if (c)
      cells.set(`${subject}|${c[1]}|${c[2]}`, {
        difference: Number(c[3]),
        lower: Number(c[4]),
        upper: Number(c[5]),
        p: Number(c[6]),
        q: Number(c[7]),
      });
  }
  return cells;
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
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ALIGN_DATA_DIR: path.join(base, 'data'),
      PORT: String(port),
      ALIGN_PG_PORT: String(await freePort()),
    };
    delete env.DATABASE_URL;
    delete env.ALIGN_ADMIN_KEY;
    const child = spawn('npm', ['run', 'demo', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const deadline = Date.now() + 420_000; // generous: the machine may be shared; the demo itself takes about a minute
    while (!out.includes('serving; press Ctrl-C')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`demo did not reach serving:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    try {
      expect(out).toMatch(/demo finished in [\d.]+ s/);
      expect(out).toContain('* q < 0.05: Benjamini-Hochberg');
      const tables = parseTables(out);
      expect([...tables.keys()]).toEqual(['subj01', 'subj02']);
      const url = `http://127.0.0.1:${port}`;
      // The dashboard's address is printed and serves the built page.
      expect(out).toContain(`dashboard: ${url}/`);
      const home = await fetch(`${url}/`);
      expect(home.headers.get('content-type')).toContain('text/html');
      expect(await home.text()).toContain('<main id="page"');
      // It says how to get a write key: the printed one-off admin key writes, and so does a key from
      // `npm run cli -- keys create`, run beside the demo (it attaches to the demo's embedded database).
      expect(out).toContain('npm run cli -- keys create my-script');
      const adminKey = /its one-off admin key: (demo-[0-9a-f]{32})/.exec(out)![1];
      const cliKey = execFileSync('npm', ['run', '-s', 'cli', '--', 'keys', 'create', 'demo-test', '--quiet'], {
        env: { ...env, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      }).trim();
      expect(cliKey).toMatch(/^ak_[\w-]{43}$/);
      for (const [name, key] of [
        ['by-admin-key', adminKey],
        ['by-cli-key', cliKey],
      ]) {
        const created = await fetch(`${url}/v1/models`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        expect(created.status, name).toBe(201);
      }
      const studyId = /study ([0-9a-f-]{36})\n/.exec(out)![1];
      const study = await (await fetch(`${url}/v1/studies/${studyId}`)).json();
      expect(study.state).toBe('succeeded');
      type Row = { subject: string; layer: string; representation: string; roi: string; value: number };
      const served = (subject: string, layer: string, rep: string, roi: string) =>
        study.results.find(
          (r: Row) => r.subject === subject && r.layer === layer && r.representation === rep && r.roi === roi,
        )?.value as number;
      // ROIs of two atlases, one a union
      expect(new Set(study.results.map((r: { atlas: string }) => r.atlas))).toEqual(
        new Set(['prf-visualrois', 'nsdgeneral']),
      );
      // SAE - neurons with its q-values and, per cell, the corrected resampled t interval (the headline) and p
      type Cell = {
        subject: string;
        layerName: string;
        roi: string;
        difference: number;
        q: number;
        p: number;
        pMethod: string;
        ci: { lower: number; upper: number };
      };
      const cmp = (await (await fetch(`${url}/v1/studies/${studyId}/comparisons?a=neurons&b=sae`)).json())
        .cells as Cell[];
      expect(cmp).toHaveLength(2 * 5 * 6);
      const listed = parseCells(out);
      expect(listed.size).toBe(cmp.length);
      for (const c of cmp) {
        expect(c.pMethod).toBe('corrected-resampled-t');
        const got = listed.get(`${c.subject}|${c.layerName}|${c.roi}`)!;
        expect(Math.abs(got.difference - c.difference)).toBeLessThanOrEqual(5e-5 + 1e-9);
        expect(Math.abs(got.lower - c.ci.lower)).toBeLessThanOrEqual(5e-5 + 1e-9);
        expect(Math.abs(got.upper - c.ci.upper)).toBeLessThanOrEqual(5e-5 + 1e-9);
        expect(Math.abs(got.q - c.q)).toBeLessThanOrEqual(Math.max(5e-5, c.q * 0.05) + 1e-9);
        expect(
          Math.abs((tables.get(c.subject)!.get('q')!.get(c.layerName)!.get(c.roi) as number) - c.q),
        ).toBeLessThanOrEqual(5e-5 + 1e-9);
      }
      let cells = 0;
      for (const [subject, reps] of tables) {
        reps.delete('q');
        for (const [rep, layers] of reps) {
          expect([...layers.keys()]).toEqual(['a.block1', 'a.block2', 'a.block3', 'b.block1', 'b.block2']);
          for (const [layer, rois] of layers) {
            expect([...rois.keys()]).toEqual(['V1v', 'V2v', 'V3v', 'hV4', 'V1', 'nsdgeneral']);
            for (const [roi, printed] of rois) {
              const want =
                rep === 'difference'
                  ? served(subject, layer, 'sae', roi) - served(subject, layer, 'neurons', roi)
                  : served(subject, layer, rep, roi);
              expect(printed).not.toBeNull();
              expect(Math.abs((printed as number) - want)).toBeLessThanOrEqual(5e-5 + 1e-9);
              cells++;
            }
          }
        }
      }
      expect(cells).toBe(2 * 3 * 5 * 6);
    } finally {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await closed;
      clearTimeout(killer);
    }
  }, 480_000);
});
