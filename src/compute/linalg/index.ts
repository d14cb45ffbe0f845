/**
 * Linear algebra for the compute core: dense products, Gram matrices, the symmetric eigendecomposition and
 * CSR products. Large products and eigendecompositions go to the GPU when the CUDA path is in use (the
 * resolved backend of src/compute/backend.ts decides), else to the native OpenBLAS/LAPACKE addon when it loaded (see linalgInfo()),
 * else to the tfjs backend (float32 products) or TypeScript loops (float64). The ...Async variants run the
 * native dense operations on the libuv thread pool so that the event loop (HTTP) stays responsive.
 */
export { matmul, matmulAsync, gemmInto, gram, gramAsync, tfAvailable } from './matmul';
export type { MatmulOptions, GramOptions } from './matmul';
export { symEig, symEigAsync } from './eig';
export type { SymEig, EigImpl } from './eig';
export { csrMatmulDense, denseMatmulCsrT, csrMatmulCsrT, csrGram } from './sparse';
export { linalgInfo, nativeNotice, setNativeEnabled, nativeAvailable } from './native';
export type { LinalgInfo } from './native';
export { cudaInfo, cudaLibraryDirs, setCudaEnabled } from './cuda';
export type { CudaInfo } from './cuda';
export { computeBackend, setTfjsEnabled } from '../backend';
export type { ResolvedBackend } from '../backend';
