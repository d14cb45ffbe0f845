/**
 * The Python client (clients/python, package brain_align) against the real service: runs its unittest suite
 * (clients/python/tests) with Debian's python3 (/usr/bin/python3 when it has numpy, else python3 on PATH), the
 * service's URL, a real API key and a synthetic NSD set in the data root. The Python side registers a model
 * and layers from a numpy array and a streamed file, trains SAEs, runs a small study, reads its results and the
 * SAE - neurons table as pandas DataFrames and checks problem errors. Skipped, saying why, without python3 or
 * numpy.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticNsd } from '../../src/nsd/synthetic';
import { createApiKey } from '../../src/services/api-keys';
import { startTestApp, type TestApp } from '../helpers/app';
import { NETWORK_FIXTURES } from '../helpers/network-fixtures';

const CLIENT_DIR = path.resolve('clients/python');

function imports(python: string, module: string): boolean {
  try {
    execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A python3 that imports numpy (and whether it has pandas: tables are then DataFrames), or why there is none. */
function findPython(): { python: string; pandas: boolean } | { reason: string } {
  // BRAIN_ALIGN_PYTHON picks another interpreter (e.g. one without pandas: tables are then lists of dicts).
  const chosen = process.env.BRAIN_ALIGN_PYTHON;
  const candidates = chosen ? [chosen] : [...(existsSync('/usr/bin/python3') ? ['/usr/bin/python3'] : []), 'python3'];
  const usable = candidates.filter((p) => imports(p, 'numpy'));
  const python = usable.find((p) => imports(p, 'pandas')) ?? usable[0];
  if (python) return { python, pandas: imports(python, 'pandas') };
  return { reason: 'no python3 with numpy (Debian: apt-get install python3-numpy python3-pandas)' };
}

const found = findPython();

if ('reason' in found) {
  describe('Python client', () => {
    it.skip(`skipped: ${found.reason}`, () => undefined);
  });
} else {
  describe('Python client (clients/python) against the service', () => {
    let app: TestApp;
    let setJson: string;
    let key: string;

    beforeAll(async () => {
      app = await startTestApp();
      const syn = await writeSyntheticNsd(path.join(app.dataDir, 'py-set'), {
        subjects: 1,
        images: 500,
        sessions: 1,
        trialsPerSession: 750,
        formats: ['hdf5'],
      });
      // The committed small ViT (test/fixtures/networks) and its taps, for the network and extraction calls.
      const vit = JSON.parse(await readFile(path.join(NETWORK_FIXTURES, 'vit.json'), 'utf8'));
      setJson = JSON.stringify({
        root: syn.root,
        manifestPath: syn.manifestPath,
        layers: syn.layers,
        network: { file: path.join(NETWORK_FIXTURES, 'vit.onnx'), preprocessing: vit.preprocessing, taps: vit.layers },
      });
      key = (await createApiKey(app.db.prisma, 'python-client-test')).key;
    }, 120_000);
    afterAll(async () => {
      await app?.close();
    });

    it('passes its unittest suite (numpy layers, SAEs, a study, DataFrames, problem errors)', async () => {
      const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          found.python,
          ['-m', 'unittest', 'discover', '-v', '-s', 'tests', '-t', '.'],
          {
            cwd: CLIENT_DIR,
            env: {
              ...process.env,
              ALIGN_URL: app.url,
              ALIGN_API_KEY: key,
              BRAIN_ALIGN_TEST_SET: setJson,
              BRAIN_ALIGN_EXPECT_PANDAS: found.pandas ? '1' : '0',
              PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ left in the checkout
              // create_key runs this checkout's `npm run cli -- keys create` against the service's database.
              BRAIN_ALIGN_DIR: path.resolve('.'),
              DATABASE_URL: app.db.url,
            },
            timeout: 540_000,
            maxBuffer: 16 * 1024 * 1024,
          },
          (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, output: stdout + stderr }),
        );
      });
      expect(output, output).toMatch(/\nOK\b/);
      expect(output).not.toMatch(/\.\.\. skipped/); // every test ran, against the service
      expect(output).toMatch(/test_a_key_from_the_cli_writes .*\.\.\. ok/);
      expect(code, output).toBe(0);
    }, 600_000);
  });
}
