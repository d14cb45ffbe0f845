/**
 * The GPU path: the align_cuda addon (native/cuda), built without CUDA headers, opens libcudart, libcublas,
 * libcusolver and libcusparse at run time. Absence is the normal case (no GPU, no libraries, addon not built):
 * every caller then keeps its CPU path, and cudaInfo() says why (health, run provenance, benchmarks).
 *
 * Library search order: ALIGN_CUDA_LIB_DIRS, the CUDA installs (/usr/local/cuda*), the NVIDIA wheels of Python
 * environments (site-packages/nvidia/<lib>/lib and nvidia/cu13|cu12/lib), then the loader's own path
 * (LD_LIBRARY_PATH, ldconfig). The libraries are opened once per process, on first use.
 *
 * Whether an operation goes to the GPU is decided in src/compute/backend.ts only (cudaAddon() is its input).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CudaSettings } from '../../config';
import { backendChanged, computeSettings } from '../settings';
import type { GemmAddon } from './gemm-addon';

export interface CudaDevice {
  name: string;
  computeCapability: string;
  memoryBytes: number;
  runtimeVersion: number;
  driverVersion: number;
}

export interface CudaInfo {
  /** True when the libraries loaded, a device answered and the GPU path is enabled. */
  available: boolean;
  /** Why the GPU path is not used. */
  reason?: string;
  /** Libraries opened (path per library). */
  libs?: Record<string, string>;
  device?: CudaDevice;
  /** Folders searched, in order, before the loader path. */
  searched?: string[];
}

/** A design matrix for ridgeFold: dense row-major, or CSR with a row shift u and a column shift w. */
export interface FoldDesign {
  rows: number;
  cols: number;
  dense?: Float32Array | Float64Array;
  indptr?: Int32Array;
  indices?: Int32Array;
  values?: Float32Array;
  u?: Float64Array | null;
  w?: Float64Array | null;
}

export interface FoldSpec {
  train: FoldDesign;
  test: FoldDesign;
  /** Training targets, row-major train.rows x targets. */
  y: Float32Array | Float64Array;
  targets: number;
  alphas: Float64Array;
  /** 0 auto, 1 primal, 2 dual. */
  form: 0 | 1 | 2;
  /**
   * Target groups (ROIs) that share the fold's decomposition, each with its own alpha: end offsets into the
   * targets (group g = [groups[g-1], groups[g])). Absent: one group of all targets.
   */
  groups?: Int32Array;
  /** Bytes of the per-group B B' stack of the weighted-Gram search (default 4 GiB; tests: chunks). */
  stackBytes?: number;
}

export interface FoldRun {
  /** LOO mean squared error per group and alpha (group-major: errors[g * alphas + k]). */
  errors: Float64Array;
  /** Per group, the index of its alpha. */
  best: Int32Array;
  /** How many chunks the groups' B B' stack took (1 unless it exceeded stackBytes). */
  chunks: number;
  rank: number;
  form: 'primal' | 'dual';
  path: 'weighted-gram' | 'direct';
  /** Test predictions at each group's alpha, row-major test.rows x targets. */
  yhat: Float32Array;
  seconds: { upload: number; gram: number; eigh: number; basis: number; alphaSearch: number; predict: number };
}

/** Raw addon surface (row-major host arrays, as the OpenBLAS addon). */
export interface CudaAddon extends GemmAddon {
  load(dirs: string[]): { ok: boolean; reason?: string; libs: Record<string, string>; device?: CudaDevice };
  dsyevd(a: Float64Array, n: number, w: Float64Array, z: Float64Array): number;
  ridgeFold(spec: FoldSpec): FoldRun;
}

const ADDON_PATH = fileURLToPath(new URL('../../../native/cuda/build/Release/align_cuda.node', import.meta.url));

let state: { addon: CudaAddon | null; info: CudaInfo } | null = null;
let enabled = true;

/** Sub-folders of `dir` (sorted, newest version names first), or [] when unreadable. */
function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

/** Where NVIDIA's Python wheels put their libraries under one site-packages folder. */
function wheelDirs(site: string): string[] {
  const nv = path.join(site, 'nvidia');
  return subdirs(nv)
    .map((d) => path.join(nv, d, 'lib'))
    .filter((d) => existsSync(d));
}

/** The folders searched for the CUDA libraries, in order (see the file comment). */
export function cudaLibraryDirs(settings: CudaSettings = computeSettings().cuda): string[] {
  const out: string[] = [...settings.libDirs];
  for (const cuda of ['cuda', ...subdirs('/usr/local').filter((d) => d.startsWith('cuda-'))]) {
    for (const lib of ['lib64', 'lib', 'targets/x86_64-linux/lib']) out.push(path.join('/usr/local', cuda, lib));
  }
  const prefixes = [...settings.pythonPrefixes, '/usr/local', '/usr', '/opt/conda', path.join(homedir(), '.local')];
  for (const prefix of prefixes) {
    for (const lib of ['lib', 'lib64']) {
      for (const py of subdirs(path.join(prefix, lib)).filter((d) => /^python3/.test(d))) {
        for (const site of ['site-packages', 'dist-packages']) out.push(...wheelDirs(path.join(prefix, lib, py, site)));
      }
    }
  }
  out.push(...wheelDirs('/usr/lib/python3/dist-packages'));
  return [...new Set(out)].filter((d) => existsSync(d));
}

/**
 * Open the addon and the libraries once, with the settings in force at the first use (the addon itself keeps its
 * first outcome: configure the compute settings before anything asks for the GPU path). ALIGN_CUDA=0 configured
 * later still switches the path off.
 */
function load(): { addon: CudaAddon | null; info: CudaInfo } {
  const settings = computeSettings().cuda;
  if (settings.mode === 'off') return open(settings);
  state ??= open(settings);
  return state;
}

function open(settings: CudaSettings): { addon: CudaAddon | null; info: CudaInfo } {
  if (settings.mode === 'off') return { addon: null, info: { available: false, reason: 'disabled by ALIGN_CUDA=0' } };
  if (!existsSync(ADDON_PATH)) {
    return {
      addon: null,
      info: {
        available: false,
        reason: 'addon not built (native/cuda/build/Release/align_cuda.node missing; see scripts/build-native.mjs)',
      },
    };
  }
  let addon: CudaAddon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as CudaAddon;
  } catch (err) {
    return {
      addon: null,
      info: {
        available: false,
        reason: `addon failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      },
    };
  }
  const searched = cudaLibraryDirs(settings);
  // Folders named in ALIGN_CUDA_LIB_DIRS are reported even when they do not exist.
  const dirs = [...new Set([...settings.libDirs, ...searched])];
  const st = addon.load(dirs);
  const info: CudaInfo = { available: st.ok, libs: st.libs, searched: dirs };
  if (st.ok) info.device = st.device;
  else info.reason = `cuda: ${st.reason}`;
  return { addon: st.ok ? addon : null, info };
}

/** Whether the GPU path is usable (libraries, device) and enabled, and why not. */
export function cudaInfo(): CudaInfo {
  const { info } = load();
  if (info.available && !enabled) return { ...info, available: false, reason: 'disabled at run time (setCudaEnabled)' };
  return info;
}

/** Switch the GPU path off and on at run time (benchmarks compare both paths). Returns the previous setting. */
export function setCudaEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  if (prev !== on) backendChanged();
  return prev;
}

/** The addon when the libraries are open, a device answered and the path is enabled, else null. */
export function cudaAddon(): CudaAddon | null {
  if (!enabled) return null;
  return load().addon;
}
