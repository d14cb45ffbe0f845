import { describe, expect, it } from 'vitest';
import { estimateUnitMemory, foldBytes, type UnitSizes } from '../../src/compute/memory-estimate';
import { ConfigError, cgroupMemoryLimit, defaultWorkerMemoryMb, loadConfig } from '../../src/config';

const MiB = 2 ** 20;
const caseD: UnitSizes = {
  stimuli: 10034,
  layerRows: 10034,
  units: 2048,
  representations: [{ columns: 2048 }, { columns: 8192, k: 32 }],
  unionVoxels: 15000,
  roiVoxels: 38224,
  rois: 20,
  folds: 5,
  alphas: 17,
  paired: true,
};

describe('estimateUnitMemory', () => {
  it('sums its terms, and each term is written out from the sizes', () => {
    const e = estimateUnitMemory(caseD);
    expect(e.total).toBe(e.process + e.targets + e.layer + e.predictions + e.fold);
    // targets: the betas cache, the evaluated rows and the compute thread's copy, float32
    expect(e.targets).toBe(3 * 10034 * 15000 * 4);
    // predictions: the neurons' and 4 of the SAE's 5 folds, over the ROIs' summed voxels
    expect(e.predictions).toBeCloseTo((2 - 1 / 5) * 10034 * 38224 * 4, 0);
    // the dual SAE fold (q = n_train = 8,027) is the largest: U and U', B = U'Y, the test targets, the stacks
    const q = 10034 - Math.ceil(10034 / 5);
    expect(e.fold).toBe(2 * q * q * 4 + q * 38224 * 4 + 2007 * 38224 * 4 + 256 * MiB);
  });

  it('never falls when any size grows', () => {
    const grow: [string, (s: UnitSizes) => UnitSizes][] = [
      ['stimuli', (s) => ({ ...s, stimuli: s.stimuli * 2, layerRows: s.layerRows * 2 })],
      ['layer rows', (s) => ({ ...s, layerRows: s.layerRows * 7 })],
      [
        'units',
        (s) => ({
          ...s,
          units: s.units * 2,
          representations: s.representations.map((r) => (r.k === undefined ? { columns: r.columns * 2 } : r)),
        }),
      ],
      ['latents', (s) => ({ ...s, representations: s.representations.map((r) => ({ ...r, columns: r.columns * 4 })) })],
      ['k', (s) => ({ ...s, representations: s.representations.map((r) => (r.k ? { ...r, k: r.k * 4 } : r)) })],
      ['candidates', (s) => ({ ...s, representations: s.representations.map((r) => ({ ...r, candidates: 3 })) })],
      ['union voxels', (s) => ({ ...s, unionVoxels: s.unionVoxels * 2 })],
      ['ROI voxels', (s) => ({ ...s, roiVoxels: s.roiVoxels * 2 })],
      ['ROIs', (s) => ({ ...s, rois: s.rois * 4 })],
      ['alphas', (s) => ({ ...s, alphas: s.alphas * 2 })],
      ['representations', (s) => ({ ...s, representations: [...s.representations, { columns: 16384, k: 64 }] })],
      ['paired statistics', (s) => ({ ...s, paired: true })],
      ['compute threads', (s) => ({ ...s, computeThreads: 8 })],
    ];
    const sizes: UnitSizes[] = [
      caseD,
      { ...caseD, paired: false, representations: [{ columns: 512 }] },
      { ...caseD, paired: false, representations: [{ columns: 4096, k: 16 }] },
      { ...caseD, stimuli: 300, layerRows: 300, unionVoxels: 200, roiVoxels: 250, rois: 2 },
    ];
    for (const s of sizes)
      for (const [what, f] of grow) {
        const before = estimateUnitMemory(s).total;
        expect(estimateUnitMemory(f(s)).total, what).toBeGreaterThanOrEqual(before);
      }
    // and grows strictly with the stimuli, the voxels and the representations
    const total = estimateUnitMemory(caseD).total;
    expect(estimateUnitMemory({ ...caseD, stimuli: 20000, layerRows: 20000 }).total).toBeGreaterThan(total);
    expect(estimateUnitMemory({ ...caseD, roiVoxels: 80000 }).total).toBeGreaterThan(total);
    expect(estimateUnitMemory({ ...caseD, unionVoxels: 30000 }).total).toBeGreaterThan(total);
    expect(
      estimateUnitMemory({ ...caseD, representations: [...caseD.representations, { columns: 4096, k: 32 }] }).total,
    ).toBeGreaterThan(total);
  });

  it('takes the primal basis (units) when the units are fewer than the training stimuli', () => {
    const neurons = foldBytes(caseD, { columns: 512 });
    const latents = foldBytes(caseD, { columns: 8192, k: 32 });
    expect(neurons).toBeLessThan(latents);
  });

  it('puts Case D (7,388 MiB measured, bench/results/case-d.md) within 25%', () => {
    const mib = estimateUnitMemory(caseD).total / MiB;
    expect(mib / 7388).toBeGreaterThan(0.75);
    expect(mib / 7388).toBeLessThan(1.25);
  });
});

describe('ALIGN_WORKER_MEMORY_MB', () => {
  it('defaults to 80% of the machine, or of a lower cgroup limit, shared by the in-process workers', () => {
    const GiB = 2 ** 30;
    expect(defaultWorkerMemoryMb(1, { totalBytes: 10 * GiB, cgroupBytes: null })).toEqual({
      mb: 8192,
      from: 'machine',
    });
    expect(defaultWorkerMemoryMb(1, { totalBytes: 64 * GiB, cgroupBytes: 5 * GiB })).toEqual({
      mb: 4096,
      from: 'cgroup',
    });
    expect(defaultWorkerMemoryMb(4, { totalBytes: 10 * GiB, cgroupBytes: 100 * GiB })).toEqual({
      mb: 2048,
      from: 'machine',
    });
    // ALIGN_WORKERS=0 (an API-only process): the machine's share of one worker
    expect(defaultWorkerMemoryMb(0, { totalBytes: 10 * GiB, cgroupBytes: null }).mb).toBe(8192);
  });

  it('reads the cgroup limit (v2, else v1); "max" and v1\'s no-limit value mean none', () => {
    const files = (m: Record<string, string>) => (f: string) => {
      if (f in m) return m[f];
      throw new Error('ENOENT');
    };
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '4294967296\n' }))).toBe(4294967296);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeNull();
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '2147483648' }))).toBe(2 ** 31);
    expect(
      cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' })),
    ).toBeNull();
    expect(cgroupMemoryLimit(files({}))).toBeNull();
  });

  it('is taken from the environment when set, and refused when not a whole number of MiB >= 64', () => {
    const env = { ALIGN_DATA_DIR: '/tmp/memory-config-test' };
    expect(loadConfig({ ...env, ALIGN_WORKER_MEMORY_MB: '3000' }).workerMemory).toEqual({
      mb: 3000,
      from: 'ALIGN_WORKER_MEMORY_MB',
    });
    const d = loadConfig(env).workerMemory;
    expect(d.from === 'machine' || d.from === 'cgroup').toBe(true);
    expect(d.mb).toBeGreaterThan(0);
    expect(() => loadConfig({ ...env, ALIGN_WORKER_MEMORY_MB: '12' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, ALIGN_WORKER_MEMORY_MB: 'lots' })).toThrow(/ALIGN_WORKER_MEMORY_MB/);
  });
});
