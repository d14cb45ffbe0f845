/**
 * Optional native addon (native/, N-API over OpenBLAS + LAPACKE), loaded once, never throwing.
 * The addon is built at postinstall by scripts/build-native.mjs when the Debian headers exist; when the
 * .node file is missing or fails to load, every linalg function uses its TypeScript / tfjs path instead.
 * ALIGN_NATIVE=0 (the `native` compute setting, settings.ts) disables the addon (it is then not even loaded); `setNativeEnabled`
 * switches it off and on again at run time (tests, benchmarks). The addon is loaded on first use.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendChanged, computeSettings } from '../settings';
import { cudaInfo, type CudaInfo, type FoldRun, type FoldSpec } from './cuda';
import type { GemmAddon } from './gemm-addon';

/** Raw addon surface. Matrices are row-major typed arrays; the output arrays are overwritten. */
export interface NativeAddon extends GemmAddon {
  /**
   * C (n x n, f64, zeroed by the caller) = X'X (side 0) or XX' (side 1) for X (rows x cols, f32 or f64),
   * full matrix filled. f32Products: ssyrk per block of 256 summed indices, blocks summed in f64; otherwise
   * dsyrk over f64 copies of blocks of X.
   */
  gram(
    x: Float32Array | Float64Array,
    rows: number,
    cols: number,
    side: number,
    f32Products: boolean,
    c: Float64Array,
  ): void;
  /** Eigenvalues ascending into w, eigenvectors as COLUMNS of row-major z (n x n); a is not modified. Returns LAPACK info. */
  dsyevd(a: Float64Array, n: number, w: Float64Array, z: Float64Array): number;
  /** C (m x n) = A B (transA false; A m x k CSR) or A' B (transA true; A k x m CSR); B row-major f32. */
  csrMatmulDense(
    transA: boolean,
    aRows: number,
    aCols: number,
    indptr: Int32Array,
    indices: Int32Array,
    values: Float32Array,
    b: Float32Array,
    n: number,
    c: Float32Array,
  ): void;
  /** C (m x nB) = B A' with B dense (m x p, f32) and A CSR (nA x p); c is m x nA f32. */
  denseMatmulCsrT(
    b: Float32Array,
    m: number,
    p: number,
    aRows: number,
    indptr: Int32Array,
    indices: Int32Array,
    values: Float32Array,
    c: Float32Array,
  ): void;
  /** C (mA x mB, f64) = A B' for CSR A (mA x p) and CSR B (mB x p). */
  csrMatmulCsrT(
    aRows: number,
    aIndptr: Int32Array,
    aIndices: Int32Array,
    aValues: Float32Array,
    bRows: number,
    bIndptr: Int32Array,
    bIndices: Int32Array,
    bValues: Float32Array,
    cols: number,
    c: Float64Array,
    symmetric: boolean,
  ): void;
  /** C (p x p, f64) = A'A for CSR A (n x p). */
  csrGramCols(
    rows: number,
    cols: number,
    indptr: Int32Array,
    indices: Int32Array,
    values: Float32Array,
    c: Float64Array,
  ): void;
  /** Same as the synchronous calls, run on the libuv thread pool; resolve to the LAPACK info (0 for BLAS). */
  sgemmAsync(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    c: Float32Array,
  ): Promise<number>;
  dgemmAsync(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float64Array,
    lda: number,
    b: Float64Array,
    ldb: number,
    c: Float64Array,
  ): Promise<number>;
  gramAsync(
    x: Float32Array | Float64Array,
    rows: number,
    cols: number,
    side: number,
    f32Products: boolean,
    c: Float64Array,
  ): Promise<number>;
  dsyevdAsync(a: Float64Array, n: number, w: Float64Array, z: Float64Array): Promise<number>;
  /**
   * The shared-alpha LOO alpha loop (native/src/loo.c): per alpha k, omega_k = U' diag(w_k) U (m x q x q), base_k =
   * sum_i w_ki r0_i, cross_kj = sum_i w_ki U_ij ct_ij with w_ki = 1 / max(1 - lev_i - [1/n] + sum_j U_ij^2 d_j, tol)^2.
   * u and ct share one element type; lev null: from U.
   */
  looWeightedGram(
    u: Float32Array | Float64Array,
    n: number,
    q: number,
    lev: Float64Array | null,
    s2: Float64Array,
    alphas: Float64Array,
    r0: Float64Array | null,
    ct: Float32Array | Float64Array | null,
    intercept: boolean,
    tol: number,
    omega: Float64Array,
    base: Float64Array,
    cross: Float64Array | null,
  ): void;
  /**
   * One toy-model gradient evaluation (src/toy/model.ts toyModelGradients, native/src/toy.c) on rows start .. start + B - 1
   * (wrapping) of a CSR data set; the buffers are those of ToyModelBuffers plus x (B x F). Returns the loss.
   */
  toyModelGradients(
    indptr: Int32Array,
    indices: Uint16Array,
    values: Float32Array,
    dataRows: number,
    start: number,
    B: number,
    F: number,
    N: number,
    W: Float32Array,
    b: Float32Array,
    imp: Float32Array,
    x: Float32Array,
    hPre: Float32Array,
    h: Float32Array,
    o: Float32Array,
    dH: Float32Array,
    dWdec: Float32Array,
    dW: Float32Array,
    db: Float32Array,
  ): number;
  /** src/sae forward.ts TopKRelu.run for rows of pre (rows x m), k <= m (native/src/sae.c). */
  topkRelu(
    pre: Float32Array,
    rows: number,
    m: number,
    k: number,
    idx: Int32Array,
    val: Float32Array,
    count: Int32Array,
  ): void;
  /** src/sae gradients.ts authorsAuxGradients (native/src/sae.c); returns [loss, auxLoss]. */
  authorsAuxGradients(
    x: Float32Array,
    rows: number,
    d: number,
    m: number,
    stride: number,
    idx: Int32Array,
    val: Float32Array,
    count: Int32Array,
    pre: Float32Array,
    dead: Uint8Array,
    straightThrough: boolean,
    auxKWeight: number,
    denom: number,
    wDec: Float32Array,
    bDec: Float32Array,
    gWEncT: Float32Array,
    gBEnc: Float32Array,
    gWDec: Float32Array,
    gBDec: Float32Array,
    gx: Float32Array,
    ga: Float32Array,
    a: Float32Array,
    dPre: Float32Array,
  ): [number, number];
  /** One shared-alpha ridge fold with the device orchestration on host BLAS (native/src/fold.c). */
  ridgeFoldHost(spec: FoldSpec): FoldRun;
  info(): { blas: string; threads: number };
  setThreads(n: number): void;
}

export interface LinalgInfo {
  /** True when the addon is loaded and enabled. */
  native: boolean;
  /** OpenBLAS configuration string (when loaded). */
  blas?: string;
  /** Threads used by OpenBLAS and the CSR kernels (when loaded). */
  threads?: number;
  /** Why the native path is off (missing build, load error, ALIGN_NATIVE=0, disabled at run time). */
  reason?: string;
  /** The GPU path (cuBLAS/cuSOLVER/cuSPARSE): whether it is used, the device, or why not. */
  cuda: CudaInfo;
  /** The same as a code: what the user can do about it differs. */
  cause?: 'not-built' | 'load-failed' | 'env' | 'runtime';
}

/**
 * How much slower ridge fits run on the TypeScript/TensorFlow.js fallbacks, measured with `npm run bench`
 * on 2 shared cores, ALIGN_NATIVE=1 vs 0: Case A (dense units, BENCH_SCALE=0.25) 12.2 s vs 55.9 s (4.6x),
 * Case B (SAE latents, BENCH_SCALE=0.1) 17.5 s vs 163 s (9.3x).
 */
export const NATIVE_SLOWDOWN = 'about 4-9x';

/**
 * One plain sentence for people (demo, bench, /v1/health) when the native path is off: what it costs
 * and what to do; null when it is on. A missing build is the usual case on a fresh machine.
 */
export function nativeNotice(info: Pick<LinalgInfo, 'native' | 'cause'>): string | null {
  if (info.native) return null;
  const cost = `ridge fits run ${NATIVE_SLOWDOWN} slower`;
  switch (info.cause) {
    case 'env':
      return `native OpenBLAS addon disabled by ALIGN_NATIVE=0: ${cost}; unset ALIGN_NATIVE to use it`;
    case 'runtime':
      return `native OpenBLAS addon disabled at run time: ${cost}`;
    case 'load-failed':
      return `native OpenBLAS addon failed to load: ${cost}; reinstall libopenblas-dev liblapacke-dev and rerun npm ci`;
    default:
      return `native OpenBLAS addon not built: ${cost}; install libopenblas-dev liblapacke-dev (apt-get install -y libopenblas-dev liblapacke-dev) and rerun npm ci`;
  }
}

const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/align_linalg.node', import.meta.url));

let addon: NativeAddon | null = null;
let loadReason: string | undefined;
let loadCause: LinalgInfo['cause'];
let attempted = false;
let enabled = true;

/** ALIGN_NATIVE=0, as configured (settings.ts). */
function envDisabled(): boolean {
  return !computeSettings().native;
}

function load(): void {
  if (attempted) return;
  attempted = true;
  if (!existsSync(ADDON_PATH)) {
    loadReason = 'addon not built (native/build/Release/align_linalg.node missing; see scripts/build-native.mjs)';
    loadCause = 'not-built';
    return;
  }
  try {
    const req = createRequire(import.meta.url);
    addon = req(ADDON_PATH) as NativeAddon;
  } catch (err) {
    addon = null;
    loadReason = `addon failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    loadCause = 'load-failed';
  }
}

/** The addon when enabled and loadable, else null. Call per operation (cheap). */
export function nativeAddon(): NativeAddon | null {
  if (!enabled || envDisabled()) return null;
  load();
  return addon;
}

/** Whether the addon can be used: not disabled by ALIGN_NATIVE=0 and it loads (ignores setNativeEnabled). */
export function nativeAvailable(): boolean {
  if (envDisabled()) return false;
  load();
  return addon !== null;
}

/**
 * Enable or disable the native path at run time (tests and benchmarks run both implementations).
 * Returns the previous setting. Enabling has no effect when the addon did not load or ALIGN_NATIVE=0.
 */
export function setNativeEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  if (prev !== on) backendChanged();
  return prev;
}

/** Whether the addon is loaded and in use, and why not; and the same for the GPU path. */
export function linalgInfo(): LinalgInfo {
  const cuda = cudaInfo();
  if (envDisabled()) return { native: false, reason: 'disabled by ALIGN_NATIVE=0', cause: 'env', cuda };
  load();
  if (!addon) return { native: false, reason: loadReason, cause: loadCause, cuda };
  const { blas, threads } = addon.info();
  if (!enabled)
    return { native: false, blas, threads, reason: 'disabled at run time (setNativeEnabled)', cause: 'runtime', cuda };
  return { native: true, blas, threads, cuda };
}
