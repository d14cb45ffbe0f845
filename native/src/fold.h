/*
 * One ridge fold ("paper" presets: one alpha shared by all targets, exact LOO, no intercept) kept in one
 * memory space from the Gram matrix to the prediction: Gram -> symmetric eigendecomposition -> basis ->
 * LOO errors for every alpha -> prediction of the test fold at the chosen alpha. The algebra is that of
 * src/compute/ridge/basis.ts and loo.ts (ridge-loo.md), in float64 throughout.
 *
 * The routine only calls the operations in fold_ops, which exist twice: on the GPU (cuda.c: cuBLAS, cuSOLVER,
 * cuSPARSE loaded at run time) and on the host (fold_host.c: OpenBLAS + LAPACKE), so that the orchestration
 * (layouts, transposes, leading dimensions, the alpha loop) is tested on machines without a GPU. Only
 * vectors of length n, q or #alphas (and the final prediction) cross between host and device.
 *
 * Every matrix handed to an op is COLUMN-major (BLAS convention). A row-major JS matrix r x c is the
 * column-major matrix c x r with leading dimension c, which is how inputs are uploaded.
 */
#ifndef ALIGN_FOLD_H
#define ALIGN_FOLD_H
#include <stddef.h>
#include <stdint.h>

typedef struct fold_ops {
  void *ctx;
  /* Memory in the ops' space (device memory for CUDA). NULL on failure. */
  void *(*alloc)(void *ctx, size_t bytes);
  void (*release)(void *ctx, void *p);
  int (*upload)(void *ctx, void *dst, const void *src, size_t bytes);
  int (*download)(void *ctx, void *dst, const void *src, size_t bytes);
  int (*copy)(void *ctx, void *dst, const void *src, size_t bytes);
  /* C = alpha op(A) op(B) + beta C (dgemm). */
  int (*gemm)(void *ctx, int ta, int tb, int m, int n, int k, double alpha, const double *A, int lda,
              const double *B, int ldb, double beta, double *C, int ldc);
  /* Lower triangle of C (n x n) = A A' (trans 0, A n x k) or A' A (trans 1, A k x n) (dsyrk). */
  int (*syrk)(void *ctx, int trans, int n, int k, const double *A, int lda, double *C, int ldc);
  /* C (m x n) = diag(x) A (right 0) or A diag(x) (right 1) (cublasDdgmm; C may be A when ldc = lda). */
  int (*dgmm)(void *ctx, int right, int m, int n, const double *A, int lda, const double *x, double *C, int ldc);
  /* out = a o b elementwise over len values (dsbmv with bandwidth 0; out must not alias b). */
  int (*hadamard)(void *ctx, int len, const double *a, const double *b, double *out);
  /* y = op(A) x (dgemv, alpha 1, beta 0). */
  int (*gemv)(void *ctx, int trans, int m, int n, const double *A, int lda, const double *x, double *y);
  /* *result (in the ops' memory) = x . y. */
  int (*dot)(void *ctx, int len, const double *x, const double *y, double *result);
  /* y += alpha x. */
  int (*axpy)(void *ctx, int len, double alpha, const double *x, double *y);
  /* A (m x n) += x y' (dger). */
  int (*ger)(void *ctx, int m, int n, const double *x, const double *y, double *A, int lda);
  /* Eigenvalues ascending into w (ops memory), eigenvectors overwrite A (n x n, lower triangle read). Returns
   * 0, or LAPACK-style info > 0, or < 0 for an API failure. */
  int (*syevd)(void *ctx, int n, double *A, double *w);
  /* Dense (row-major rows x cols, i.e. column-major cols x rows) from CSR in ops memory (zero-based). */
  int (*csr_dense)(void *ctx, int rows, int cols, int64_t nnz, const int32_t *indptr, const int32_t *indices,
                   const double *values, double *dense);
  /* Wait for queued work (timings). */
  int (*sync)(void *ctx);
  /* Message of the last failure. */
  const char *(*error)(void *ctx);
} fold_ops;

/* A design matrix: dense row-major (f32 or f64) or CSR + row shift u + column shift w (Xeff = S + u1' + 1w'). */
typedef struct {
  int64_t rows, cols;
  const void *dense; /* row-major rows x cols, or NULL for CSR */
  int dense_f32;
  const int32_t *indptr, *indices;
  const float *values;
  const double *u, *w; /* may be NULL */
} fold_design;

typedef struct {
  fold_design train, test;
  const void *y; /* training targets, row-major n x v */
  int y_f32;
  int64_t v;
  const double *alphas;
  int n_alphas;
  int form; /* 0 auto (primal when units <= training rows), 1 primal, 2 dual */
  /* Target groups (ROIs) sharing the fold's decomposition, each with its own alpha: group g is the targets
   * [ends[g-1], ends[g]) (ends ascending, last = v). n_groups 0 means one group of all targets. */
  const int32_t *group_ends;
  int n_groups;
  /* Bytes of the per-group B B' stack (weighted-gram path); groups beyond it are taken in chunks, each chunk
   * recomputing the alpha-only products. 0: 4 GiB. */
  double stack_bytes;
} fold_input;

typedef struct {
  double *errors;  /* groups x n_alphas (group-major), caller-allocated */
  int *best;       /* per group: the index of its alpha, caller-allocated */
  float *yhat;     /* test rows x v row-major, caller-allocated */
  int rank, form, path, chunks; /* form 1 primal / 2 dual; path 1 weighted-gram / 2 direct; chunks: of the stack */
  double seconds[6]; /* upload, gram, eigh, basis, alphaSearch, predict */
  char err[256];
} fold_output;

/* 0 on success; otherwise out->err says what failed. */
int ridge_fold(const fold_ops *ops, const fold_input *in, fold_output *out);

/* N-API glue shared by both addons (fold_napi.c): ridgeFold(spec) -> result object. */
#include <node_api.h>
napi_value fold_napi_call(napi_env env, napi_callback_info info, const fold_ops *ops);
#endif
