/*
 * fold_ops on the host (OpenBLAS + LAPACKE, column-major): the same ridge-fold orchestration as the GPU path,
 * so that it is exercised and compared with the TypeScript ridge on machines without a GPU. Exported by the
 * OpenBLAS addon as ridgeFoldHost.
 */
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "common.h"
#include "fold.h"

static const char *host_err = "";

static void *h_alloc(void *ctx, size_t bytes) {
  (void)ctx;
  void *p = malloc(bytes);
  if (!p) host_err = "malloc failed";
  return p;
}
static void h_release(void *ctx, void *p) { (void)ctx, free(p); }
static int h_copy(void *ctx, void *dst, const void *src, size_t bytes) {
  (void)ctx;
  memcpy(dst, src, bytes);
  return 0;
}
static enum CBLAS_TRANSPOSE op(int t) { return t ? CblasTrans : CblasNoTrans; }
static int h_gemm(void *ctx, int ta, int tb, int m, int n, int k, double alpha, const double *A, int lda,
                  const double *B, int ldb, double beta, double *C, int ldc) {
  (void)ctx;
  cblas_dgemm(CblasColMajor, op(ta), op(tb), m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  return 0;
}
static int h_syrk(void *ctx, int trans, int n, int k, const double *A, int lda, double *C, int ldc) {
  (void)ctx;
  cblas_dsyrk(CblasColMajor, CblasLower, op(trans), n, k, 1.0, A, lda, 0.0, C, ldc);
  return 0;
}
/* cublasDdgmm semantics (no CBLAS equivalent). */
static int h_dgmm(void *ctx, int right, int m, int n, const double *A, int lda, const double *x, double *C, int ldc) {
  (void)ctx;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) C[i + (size_t)j * ldc] = A[i + (size_t)j * lda] * (right ? x[j] : x[i]);
  return 0;
}
/* The same dsbmv call as the GPU path: a symmetric band matrix of bandwidth 0 stored with lda 1 is diag(a). */
static int h_hadamard(void *ctx, int len, const double *a, const double *b, double *out) {
  (void)ctx;
  cblas_dsbmv(CblasColMajor, CblasLower, len, 0, 1.0, a, 1, b, 1, 0.0, out, 1);
  return 0;
}
static int h_gemv(void *ctx, int trans, int m, int n, const double *A, int lda, const double *x, double *y) {
  (void)ctx;
  cblas_dgemv(CblasColMajor, op(trans), m, n, 1.0, A, lda, x, 1, 0.0, y, 1);
  return 0;
}
static int h_dot(void *ctx, int len, const double *x, const double *y, double *result) {
  (void)ctx;
  *result = cblas_ddot(len, x, 1, y, 1);
  return 0;
}
static int h_axpy(void *ctx, int len, double alpha, const double *x, double *y) {
  (void)ctx;
  cblas_daxpy(len, alpha, x, 1, y, 1);
  return 0;
}
static int h_ger(void *ctx, int m, int n, const double *x, const double *y, double *A, int lda) {
  (void)ctx;
  cblas_dger(CblasColMajor, m, n, 1.0, x, 1, y, 1, A, lda);
  return 0;
}
static int h_syevd(void *ctx, int n, double *A, double *w) {
  (void)ctx;
  lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', n, A, n, w);
  if (info < 0) host_err = "LAPACKE_dsyevd: bad argument";
  return (int)info;
}
static int h_csr_dense(void *ctx, int rows, int cols, int64_t nnz, const int32_t *indptr, const int32_t *indices,
                       const double *values, double *dense) {
  (void)ctx, (void)nnz;
  memset(dense, 0, sizeof(double) * (size_t)rows * (size_t)cols);
  for (int i = 0; i < rows; i++)
    for (int32_t t = indptr[i]; t < indptr[i + 1]; t++) dense[(size_t)i * cols + indices[t]] = values[t];
  return 0;
}
static int h_sync(void *ctx) { return (void)ctx, 0; }
static const char *h_error(void *ctx) { return (void)ctx, host_err; }

static const fold_ops host_ops = {
  NULL, h_alloc, h_release, h_copy, h_copy, h_copy, h_gemm, h_syrk, h_dgmm, h_hadamard, h_gemv, h_dot, h_axpy,
  h_ger, h_syevd, h_csr_dense, h_sync, h_error,
};

napi_value js_ridge_fold_host(napi_env env, napi_callback_info info) { return fold_napi_call(env, info, &host_ops); }
