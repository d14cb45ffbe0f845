/**
 * A HOST stand-in of the CUDA library subset the align_cuda addon opens (test/fixtures/fake-cuda/fake_cuda.c:
 * OpenBLAS/LAPACKE behind NVIDIA's documented signatures), built into a temporary folder and named in the
 * compute settings as ALIGN_CUDA_LIB_DIRS would, so that the addon's real code path runs without a GPU.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeSettings, configureCompute } from '../../src/compute/backend';
import { nativeAvailable } from '../../src/compute/linalg/index';

/** Why the stand-in cannot be used here, or null when it can (addon built, OpenBLAS, a C compiler, no real GPU). */
export function fakeCudaUnavailable(): string | null {
  if (!nativeAvailable()) return 'the native OpenBLAS addon is not available';
  if (!existsSync(path.resolve('native/cuda/build/Release/align_cuda.node'))) return 'align_cuda addon not built';
  if (existsSync('/dev/nvidiactl')) return 'a real GPU is present';
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'no C compiler';
  }
  return null;
}

/** Build the stand-in into `dir` and point this process's compute settings at it (before the GPU path's first use). */
export function installFakeCuda(dir: string = mkdtempSync(path.join(tmpdir(), 'fake-cuda-'))): string {
  const so = path.join(dir, 'libfake.so');
  execFileSync('cc', [
    '-O2',
    '-shared',
    '-fPIC',
    '-o',
    so,
    'test/fixtures/fake-cuda/fake_cuda.c',
    '-I/usr/include/x86_64-linux-gnu',
    '-lopenblas',
    '-llapacke',
  ]);
  for (const n of ['libcudart.so.13', 'libcublas.so.13', 'libcusolver.so.12', 'libcusparse.so.12'])
    copyFileSync(so, path.join(dir, n));
  const settings = computeSettings();
  configureCompute({ ...settings, cuda: { ...settings.cuda, libDirs: [dir] } });
  return dir;
}

export function removeFakeCuda(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
