/**
 * The GEMM surface both native addons share (OpenBLAS in native/, cuBLAS in native/cuda): row-major typed
 * arrays, C (m x n, overwritten) = op(A) op(B), with lda/ldb the stored row lengths of A and B.
 */
export interface GemmAddon {
  sgemm(
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
  ): void;
  dgemm(
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
  ): void;
}
