/**
 * Linear algebra for the compute core: dense products, Gram matrices, the symmetric eigendecomposition and
 * CSR products, each on the native OpenBLAS/LAPACKE addon when it loaded (see linalgInfo()), else on the tfjs
 * backend (float32 products) or TypeScript loops (float64). The ...Async variants run the native dense
 * operations on the libuv thread pool so that the event loop (HTTP) stays responsive during long calls.
 */
export { matmul, matmulAsync, gemmInto, gram, gramAsync, tfAvailable } from './matmul';
export type { MatmulOptions, GramOptions } from './matmul';
export { symEig, symEigAsync } from './eig';
export type { SymEig, EigImpl } from './eig';
export { csrMatmulDense, denseMatmulCsrT, csrMatmulCsrT, csrGram } from './sparse';
export { linalgInfo, setNativeEnabled, nativeAvailable } from './native';
export type { LinalgInfo } from './native';
