/**
 * The GPU device check's bundle (bench/gpu/bundle.mjs): it builds (fast gzip here), stays under the 64 MiB a
 * device run may carry, and its run.sh unpacks the bundled Node and libraries and runs the check's dry run
 * (small sizes; the GPU fold's orchestration on host BLAS against the CPU path), printing one JSON line per case.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeAvailable } from '../../src/compute/linalg/index';

const built = existsSync(path.resolve('native/cuda/build/Release/align_cuda.node')) && nativeAvailable();
const dir = mkdtempSync(path.join(tmpdir(), 'gpu-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function du(p: string): number {
  return readdirSync(p, { withFileTypes: true }).reduce(
    (s, e) => s + (e.isDirectory() ? du(path.join(p, e.name)) : statSync(path.join(p, e.name)).size),
    0,
  );
}

describe.runIf(built)('GPU check bundle', () => {
  const out = path.join(dir, 'bundle');
  it('builds under 64 MiB with Node, the addons, their libraries and run.sh', () => {
    const line = execFileSync(process.execPath, ['bench/gpu/bundle.mjs', '--fast', '--out', out], {
      encoding: 'utf8',
    }).trim();
    expect(JSON.parse(line)).toMatchObject({ bundle: out, underLimit: true });
    expect(du(out)).toBeLessThan(64 * 2 ** 20);
    for (const f of [
      'run.sh',
      'node.gz',
      'app/bench/gpu/check.mjs',
      'native/build/Release/align_linalg.node',
      'native/cuda/build/Release/align_cuda.node',
      'lib/libopenblas.so.0.gz',
    ]) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
  }, 180_000);

  it('run.sh --dry-run prints one valid JSON line per case, the device fold agreeing with the CPU path', () => {
    const text = execFileSync('sh', [path.join(out, 'run.sh'), '--dry-run'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        ALIGN_GPU_WORK: path.join(dir, 'work'),
        ALIGN_CUDA_LIB_DIRS: path.join(dir, 'no-cuda-here'),
        BENCH_SCALE: '0.02',
      },
    });
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.case)).toEqual(['env', 'info', 'A', 'B', 'C', 'SAE', ...Array(8).fill('E')]);
    const info = lines[1];
    expect(info).toMatchObject({ dryRun: true, native: true, node: process.version });
    expect(info.cuda.available).toBe(false);
    for (const c of lines.slice(2, 5)) {
      expect(c.device.engine).toBe('host');
      expect(c.cpu.engine).toBe('ts');
      expect(c.sameAlphas).toBe(true);
      expect(c.maxAbsScoreDiff).toBeLessThan(1e-4);
      expect(Object.keys(c.device.seconds)).toEqual([
        'preprocess',
        'gram',
        'eigh',
        'basis',
        'alphaSearch',
        'predict',
        'total',
      ]);
    }
    expect(lines[3].device.form).toBe('dual');
    expect(lines[5]).toMatchObject({ case: 'SAE', rowsWithSameLatents: 1, maxAbsPreActivationDiff: 0 });
    // Case E: every ROI's alphas as the CPU path's, one decomposition per fold for all 26 ROIs
    for (const e of lines.slice(6)) {
      expect(e).toMatchObject({ rois: 26, sameAlphas: true });
      expect(e.device.decompositions).toBe(5);
      expect(e.maxAbsScoreDiff).toBeLessThan(1e-4);
    }
    expect(lines[13]).toMatchObject({ sameAlphasAsPerRoi: true, devicePerRoi: { decompositions: 130 } });
  }, 180_000);
});
