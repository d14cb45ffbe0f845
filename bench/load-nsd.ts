/**
 * Loading benchmark: one subject's nsdgeneral-sized mask over N real-size synthetic sessions
 * (81x104x83, 750 trials, HDF5 int16 with one chunk per voxel time series, written by h5py as NSD ships).
 * Prints one JSON line per reader: seconds per session, peak RSS, and the time to read the same bytes raw.
 *
 * usage: npx tsx bench/load-nsd.ts [--dir /tmp/nsdbench] [--sessions 4] [--keep]
 * Needs /usr/bin/python3 with numpy + h5py to write the first session; the others are copies.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { readNpy } from '../src/io/npy';
import { openNsdDataset } from '../src/nsd/dataset';
import { loadSubjectRoiBetas } from '../src/nsd/subject-betas';
import { maskToIndices } from '../src/nsd/voxels';
import { syntheticManifest } from '../src/nsd/synthetic';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dir = path.resolve(arg('dir', '/tmp/nsdbench'));
const nSessions = Number(arg('sessions', '4'));
const readers = arg('readers', 'auto,h5wasm').split(',') as ('auto' | 'h5wasm')[];
const T = 750;
const root = path.join(dir, 'root');
const betasDir = path.join(root, 'nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR');
mkdirSync(betasDir, { recursive: true });

const first = path.join(dir, 's01.hdf5');
const maskFile = path.join(dir, 'general.npy');
if (!existsSync(first) || !existsSync(maskFile)) {
  const gen = path.resolve(
    path.dirname(new URL(import.meta.url).pathname),
    '../test/fixtures/nsd/gen_realsize_session.py',
  );
  const r = spawnSync('/usr/bin/python3', [gen, first, maskFile], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('generator failed');
}
const files: string[] = [];
for (let s = 1; s <= nSessions; s++) {
  const f = path.join(betasDir, `betas_session${String(s).padStart(2, '0')}.hdf5`);
  if (!existsSync(f) || statSync(f).size !== statSync(first).size) copyFileSync(first, f);
  files.push(f);
}
// Stimulus table: 750 * nSessions trials over random images (1-3 repetitions).
const trials = T * nSessions;
const nImages = Math.ceil(trials / 2.5);
const reps: number[][] = Array.from({ length: nImages }, () => []);
for (let g = 1; g <= trials; g++) reps[(g * 7919) % nImages].push(g);
const lines = ['nsdId,shared1000,subject1_rep0,subject1_rep1,subject1_rep2'];
reps.forEach((r, i) => {
  const c = [...r, 0, 0, 0].slice(0, 3);
  lines.push(`${i},False,${c.join(',')}`);
});
const csv = path.join(root, 'nsddata/experiments/nsd/nsd_stim_info_merged.csv');
mkdirSync(path.dirname(csv), { recursive: true });
writeFileSync(csv, `${lines.join('\n')}\n`);
if (reps.some((r) => r.length > 3)) throw new Error('bad design');

const mask = readNpy(readFileSync(maskFile));
const voxels = maskToIndices(mask.data as Uint8Array);

function rawRead(): number {
  const t0 = performance.now();
  const buf = Buffer.allocUnsafe(16 << 20);
  for (const f of files) {
    const fd = openSync(f, 'r');
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
    }
    closeSync(fd);
  }
  return (performance.now() - t0) / 1000;
}

const ds = openNsdDataset(syntheticManifest(['hdf5'], T), root, [dir]);
const raw = rawRead(); // also warms the page cache
for (const reader of readers) {
  const stamps: number[] = [];
  const t0 = performance.now();
  const res = await loadSubjectRoiBetas(ds, 1, voxels, {
    hdf5Reader: reader,
    onProgress: () => stamps.push(performance.now()),
  });
  const total = (performance.now() - t0) / 1000;
  const perSession = stamps.slice(1).map((t, i) => +((t - stamps[i]) / 1000).toFixed(3));
  console.log(
    JSON.stringify({
      case: 'load-nsd',
      reader,
      volume: [81, 104, 83],
      trials: T,
      sessions: nSessions,
      voxels: voxels.length,
      images: res.nsdIds.length,
      secondsPerSession: perSession,
      meanSecondsPerSession: +(perSession.reduce((a, b) => a + b, 0) / perSession.length).toFixed(3),
      totalSeconds: +total.toFixed(3),
      extrapolated40Sessions: +((total / nSessions) * 40).toFixed(1),
      rawReadSecondsPerSession: +(raw / nSessions).toFixed(3),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}
// Anchor: h5py reading the same voxels of one session in z-slabs (the usual Python loader), same machine, same run.
const anchor = spawnSync(
  '/usr/bin/python3',
  [
    '-c',
    `
import sys, time, numpy as np, h5py
m = np.load(sys.argv[2]).transpose(2, 1, 0).astype(bool)  # (Z, Y, X)
t0 = time.time()
with h5py.File(sys.argv[1], 'r') as h:
    d = h['betas']
    out = [d[:, z][:, m[z]] for z in range(m.shape[0]) if m[z].any()]
print(time.time() - t0)
`,
    files[0],
    maskFile,
  ],
  { encoding: 'utf8' },
);
if (anchor.status === 0)
  console.log(
    JSON.stringify({
      case: 'load-nsd-anchor',
      reader: 'h5py z-slabs',
      secondsPerSession: +Number(anchor.stdout.trim()).toFixed(3),
    }),
  );
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
