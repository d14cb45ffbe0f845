/**
 * The compute backend, chosen in one place (himalaya's get_backend()): which implementation each operation of
 * the compute core uses, resolved from the compute settings (config.ts, through settings.ts) and from what
 * loaded (the CUDA addon and a device, the OpenBLAS addon, a tensor backend). Every solver asks here; nothing
 * below reads the environment.
 *
 *   cuda    the align_cuda addon (cuBLAS, cuSOLVER, cuSPARSE), for work large enough to pay for the transfers
 *   native  the OpenBLAS/LAPACKE addon
 *   tfjs    float32 products on the active tensor backend (wasm here); 'tensorflow': its SelfAdjointEigV2 kernel
 *   ts      TypeScript loops (float64)
 *
 * The resolution is made once and kept until something it depends on changes: the settings
 * (configureCompute), the tensor backend (initBackend) or the run-time switches that tests and benchmarks use
 * to compare implementations (setNativeEnabled, setCudaEnabled, setTfjsEnabled).
 */
import type { ComputeSettings } from '../config';
import { type CudaAddon, cudaAddon } from './linalg/cuda';
import { type NativeAddon, nativeAddon } from './linalg/native';
import { backendChanged, backendGeneration, computeSettings, configureCompute } from './settings';
import { type BackendInfo, type BackendName, initBackend, tensorBackend, tf } from './tensor-backend';

export { activeBackend, BACKEND_LADDER, initBackend, tensorBackend, tf } from './tensor-backend';
export type { BackendInfo, BackendName } from './tensor-backend';
export { computeSettings, configureCompute } from './settings';

/** Dense products from this many multiply-adds go to cuBLAS (smaller ones do not pay for the transfers). */
export const CUDA_GEMM_MIN_FLOPS = 2 ** 30;
/** Symmetric eigendecompositions from this order go to cuSOLVER. */
export const CUDA_EIGH_MIN_ORDER = 1024;

export type CpuGemm = 'native' | 'tfjs' | 'ts';
export type CpuEigh = 'native' | 'tensorflow' | 'ts';

/** Which implementation each operation uses. */
export interface ResolvedBackend {
  /** The tensor backend rung, or null before initBackend(). */
  tensor: BackendName | null;
  /** Dense products (matmul): 'cuda' from CUDA_GEMM_MIN_FLOPS multiply-adds, smaller ones on cpuGemm. 'tfjs' is float32 only (float64 runs 'ts'). */
  gemm: 'cuda' | CpuGemm;
  cpuGemm: CpuGemm;
  /** Gram matrices X'X and XX' (native ssyrk/dsyrk, tfjs float32 blocks, or the float64 loop). */
  syrk: CpuGemm;
  /** Symmetric eigendecomposition: 'cuda' from CUDA_EIGH_MIN_ORDER, smaller ones on cpuEigh. */
  eigh: 'cuda' | CpuEigh;
  cpuEigh: CpuEigh;
  /** Products with CSR matrices. */
  csr: 'native' | 'ts';
  /** The shared-alpha ridge fold as one device call ('auto' fold engine), else the TypeScript path. */
  foldEngine: 'cuda' | 'ts';
}

/** The surface a dense product needs; the OpenBLAS and the CUDA addons both have it (row-major host arrays). */
export type Blas = Pick<NativeAddon, 'sgemm' | 'dgemm'>;
/** The surface a symmetric eigendecomposition needs (LAPACKE or cuSOLVER dsyevd). */
export type Lapack = Pick<NativeAddon, 'dsyevd'>;

interface Resolution {
  ops: ResolvedBackend;
  native: NativeAddon | null;
  cuda: CudaAddon | null;
  generation: number;
}

let resolved: Resolution | null = null;
let tfjsEnabled = true;

/**
 * Let the linear algebra use the active tensor backend (default) or not (then the TypeScript loops run where
 * the tfjs path would: tests compare every implementation in one process). Returns the previous setting.
 */
export function setTfjsEnabled(on: boolean): boolean {
  const prev = tfjsEnabled;
  tfjsEnabled = on;
  if (prev !== on) backendChanged();
  return prev;
}

/** The TensorFlow kernels run by name (SelfAdjointEigV2) exist on the tensorflow rungs only. */
export function tensorflowKernels(tensor: BackendName | null): boolean {
  if (tensor !== 'tensorflow' && tensor !== 'tensorflow-gpu') return false;
  return typeof (tf.backend() as unknown as { executeMultipleOutputs?: unknown }).executeMultipleOutputs === 'function';
}

function resolve(): Resolution {
  const generation = backendGeneration();
  const native = nativeAddon();
  const cuda = cudaAddon();
  const tensor = tensorBackend()?.name ?? null;
  const tfjs = tfjsEnabled && tensor !== null;
  const cpuGemm: CpuGemm = native ? 'native' : tfjs ? 'tfjs' : 'ts';
  const eigOnTf = tfjs && computeSettings().eig !== 'ts' && tensorflowKernels(tensor);
  const cpuEigh: CpuEigh = native ? 'native' : eigOnTf ? 'tensorflow' : 'ts';
  const ops: ResolvedBackend = {
    tensor,
    gemm: cuda ? 'cuda' : cpuGemm,
    cpuGemm,
    syrk: cpuGemm,
    eigh: cuda ? 'cuda' : cpuEigh,
    cpuEigh,
    csr: native ? 'native' : 'ts',
    foldEngine: cuda ? 'cuda' : 'ts',
  };
  return { ops, native, cuda, generation };
}

function current(): Resolution {
  if (!resolved || resolved.generation !== backendGeneration()) resolved = resolve();
  return resolved;
}

/** Which implementation each operation uses now. */
export function computeBackend(): ResolvedBackend {
  return current().ops;
}

/** The implementation a dense product of `flops` multiply-adds runs on. */
export function gemmImpl(flops: number): 'cuda' | CpuGemm {
  const { ops } = current();
  return ops.gemm === 'cuda' && flops >= CUDA_GEMM_MIN_FLOPS ? 'cuda' : ops.cpuGemm;
}

/** The BLAS for a dense product of `flops` multiply-adds (cuBLAS or OpenBLAS), or null for the tfjs/TS paths. */
export function blasFor(flops: number): Blas | null {
  const r = current();
  const impl = gemmImpl(flops);
  return impl === 'cuda' ? r.cuda : impl === 'native' ? r.native : null;
}

/** The implementation a symmetric eigendecomposition of order n runs on. */
export function eighImpl(n: number): 'cuda' | CpuEigh {
  const { ops } = current();
  return ops.eigh === 'cuda' && n >= CUDA_EIGH_MIN_ORDER ? 'cuda' : ops.cpuEigh;
}

/** The LAPACK for an eigendecomposition of order n (cuSOLVER or LAPACKE), or null for the tfjs/TS paths. */
export function lapackFor(n: number): Lapack | null {
  const r = current();
  const impl = eighImpl(n);
  return impl === 'cuda' ? r.cuda : impl === 'native' ? r.native : null;
}

/** The OpenBLAS addon when the resolved backend uses it (CSR products, Gram, the thread-pool variants). */
export function nativeLinalg(): NativeAddon | null {
  return current().native;
}

/** The CUDA addon when the resolved backend uses the GPU (the device ridge fold). */
export function gpuLinalg(): CudaAddon | null {
  return current().cuda;
}

/** What a compute thread needs to resolve the same backend as the thread that started it (plain data). */
export interface ComputeThreadConfig {
  settings: ComputeSettings;
  /** The tensor backend rung this thread runs, when it has one: the thread loads it alone. */
  tensor?: BackendName;
}

/** This thread's compute configuration, to hand to a compute thread through workerData. */
export function computeThreadConfig(): ComputeThreadConfig {
  const tensor = tensorBackend()?.name;
  return { settings: computeSettings(), ...(tensor ? { tensor } : {}) };
}

/** In a compute thread: take the starting thread's configuration (never the environment) and load its backend. */
export function initComputeThread(config: ComputeThreadConfig): Promise<BackendInfo> {
  configureCompute(config.settings);
  return initBackend(config.tensor ?? config.settings.tensor);
}
