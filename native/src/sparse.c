/*
 * CSR kernels for the align_linalg addon, multi-threaded with pthreads (align_threads() workers pulling
 * chunks of output rows from an atomic counter, so each output row has one writer). CSR values are float32;
 * every sum is accumulated in float64. The CSR structure is validated before any access.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

typedef void (*range_fn)(void *ctx, int64_t begin, int64_t end);

typedef struct {
  range_fn fn;
  void *ctx;
  int64_t total, chunk;
  atomic_llong next;
} pool_job;

static void *pool_worker(void *arg) {
  pool_job *job = arg;
  for (;;) {
    int64_t b = atomic_fetch_add(&job->next, job->chunk);
    if (b >= job->total) break;
    int64_t e = b + job->chunk < job->total ? b + job->chunk : job->total;
    job->fn(job->ctx, b, e);
  }
  return NULL;
}

/* Run fn over [0, total) in chunks on align_threads() threads (the caller is one of them). */
static void parallel_for(int64_t total, int64_t chunk, range_fn fn, void *ctx) {
  pool_job job = {fn, ctx, total, chunk < 1 ? 1 : chunk, 0};
  int nt = align_threads();
  if ((int64_t)nt > total / job.chunk + 1) nt = (int)(total / job.chunk + 1);
  if (nt > 64) nt = 64;
  pthread_t th[64];
  int started = 0;
  for (int t = 1; t < nt; t++)
    if (pthread_create(&th[started], NULL, pool_worker, &job) == 0) started++;
  pool_worker(&job);
  for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
}

typedef struct {
  int64_t rows, cols;
  const int32_t *indptr, *indices;
  const float *values;
} csr;

/* Validate a CSR matrix given as typed arrays; returns an error message or NULL. */
static const char *check_csr(typed_arg ip, typed_arg ix, typed_arg vals, int64_t rows, int64_t cols, csr *out) {
  if (ip.type != napi_int32_array || ix.type != napi_int32_array || vals.type != napi_float32_array)
    return "CSR arrays must be Int32Array, Int32Array, Float32Array";
  if (rows < 0 || cols < 0 || (int64_t)ip.length < rows + 1) return "CSR indptr shorter than rows + 1";
  const int32_t *p = ip.data, *ind = ix.data;
  if (p[0] < 0) return "CSR indptr[0] < 0";
  for (int64_t i = 0; i < rows; i++)
    if (p[i + 1] < p[i]) return "CSR indptr decreases";
  if ((int64_t)p[rows] > (int64_t)ix.length || (int64_t)p[rows] > (int64_t)vals.length)
    return "CSR indices/values shorter than indptr[rows]";
  for (int64_t t = p[0]; t < p[rows]; t++)
    if (ind[t] < 0 || ind[t] >= cols) return "CSR column index out of range";
  out->rows = rows;
  out->cols = cols;
  out->indptr = p;
  out->indices = ind;
  out->values = vals.data;
  return NULL;
}

/* CSC copy of a CSR matrix (rows ascend within each column). Returns false on allocation failure. */
typedef struct {
  int64_t *colptr;
  int32_t *rowidx;
  float *vals;
} csc;

static bool to_csc(const csr *A, csc *out) {
  int64_t nnz = A->indptr[A->rows] - A->indptr[0];
  out->colptr = calloc((size_t)A->cols + 1, sizeof(int64_t));
  out->rowidx = malloc(sizeof(int32_t) * (size_t)(nnz > 0 ? nnz : 1));
  out->vals = malloc(sizeof(float) * (size_t)(nnz > 0 ? nnz : 1));
  int64_t *next = malloc(sizeof(int64_t) * (size_t)(A->cols > 0 ? A->cols : 1));
  if (!out->colptr || !out->rowidx || !out->vals || !next) {
    free(out->colptr);
    free(out->rowidx);
    free(out->vals);
    free(next);
    return false;
  }
  for (int64_t t = A->indptr[0]; t < A->indptr[A->rows]; t++) out->colptr[A->indices[t] + 1]++;
  for (int64_t j = 0; j < A->cols; j++) out->colptr[j + 1] += out->colptr[j];
  memcpy(next, out->colptr, sizeof(int64_t) * (size_t)A->cols);
  for (int64_t i = 0; i < A->rows; i++)
    for (int64_t t = A->indptr[i]; t < A->indptr[i + 1]; t++) {
      int64_t d = next[A->indices[t]]++;
      out->rowidx[d] = (int32_t)i;
      out->vals[d] = A->values[t];
    }
  free(next);
  return true;
}

static void free_csc(csc *c) {
  free(c->colptr);
  free(c->rowidx);
  free(c->vals);
}

static napi_value range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/* ---- C = A B or A' B ---------------------------------------------------------------------------------- */

typedef struct {
  const csr *A;
  const csc *At; /* for A' B: A's columns */
  const float *b;
  float *c;
  int64_t n;
} mmd_ctx;

static void mmd_rows(void *vctx, int64_t b0, int64_t b1) {
  mmd_ctx *x = vctx;
  int64_t n = x->n;
  double *acc = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
  if (!acc) return;
  for (int64_t i = b0; i < b1; i++) {
    memset(acc, 0, sizeof(double) * (size_t)n);
    int64_t s, e;
    const int32_t *idx;
    const float *val;
    if (x->At) {
      s = x->At->colptr[i], e = x->At->colptr[i + 1], idx = x->At->rowidx, val = x->At->vals;
    } else {
      s = x->A->indptr[i], e = x->A->indptr[i + 1], idx = x->A->indices, val = x->A->values;
    }
    for (int64_t t = s; t < e; t++) {
      double v = val[t];
      const float *br = x->b + (int64_t)idx[t] * n;
      for (int64_t j = 0; j < n; j++) acc[j] += v * br[j];
    }
    float *cr = x->c + i * n;
    for (int64_t j = 0; j < n; j++) cr[j] = (float)acc[j];
  }
  free(acc);
}

/* csrMatmulDense(transA, aRows, aCols, indptr, indices, values, b, n, c) */
napi_value js_csr_matmul_dense(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool tr;
  int64_t ar, ac, n;
  typed_arg ip, ix, vv, b, c;
  if (argc < 9 || !get_bool(env, argv[0], &tr) || !get_i64(env, argv[1], &ar) || !get_i64(env, argv[2], &ac) ||
      !get_typed(env, argv[3], &ip) || !get_typed(env, argv[4], &ix) || !get_typed(env, argv[5], &vv) ||
      !get_typed(env, argv[6], &b) || !get_i64(env, argv[7], &n) || !get_typed(env, argv[8], &c))
    return range_error(env, "csrMatmulDense: bad arguments");
  csr A;
  const char *err = check_csr(ip, ix, vv, ar, ac, &A);
  if (err) return range_error(env, err);
  int64_t inner = tr ? ar : ac, outRows = tr ? ac : ar;
  if (b.type != napi_float32_array || c.type != napi_float32_array || n < 0 || (int64_t)b.length < inner * n ||
      (int64_t)c.length < outRows * n)
    return range_error(env, "csrMatmulDense: b/c must be Float32Array of the right length");
  mmd_ctx x = {&A, NULL, b.data, c.data, n};
  csc At;
  if (tr) {
    if (!to_csc(&A, &At)) return range_error(env, "csrMatmulDense: out of memory");
    x.At = &At;
  }
  parallel_for(outRows, 16, mmd_rows, &x);
  if (tr) free_csc(&At);
  return NULL;
}

/* ---- C = B A' (B dense) ------------------------------------------------------------------------------- */

typedef struct {
  const csr *A;
  const float *b;
  float *c;
  int64_t p;
} dmc_ctx;

static void dmc_rows(void *vctx, int64_t b0, int64_t b1) {
  dmc_ctx *x = vctx;
  const csr *A = x->A;
  for (int64_t i = b0; i < b1; i++) {
    const float *br = x->b + i * x->p;
    float *cr = x->c + i * A->rows;
    for (int64_t j = 0; j < A->rows; j++) {
      double s = 0;
      for (int64_t t = A->indptr[j]; t < A->indptr[j + 1]; t++) s += (double)A->values[t] * br[A->indices[t]];
      cr[j] = (float)s;
    }
  }
}

/* denseMatmulCsrT(b, m, p, aRows, indptr, indices, values, c) */
napi_value js_dense_matmul_csrt(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t m, p, ar;
  typed_arg b, ip, ix, vv, c;
  if (argc < 8 || !get_typed(env, argv[0], &b) || !get_i64(env, argv[1], &m) || !get_i64(env, argv[2], &p) ||
      !get_i64(env, argv[3], &ar) || !get_typed(env, argv[4], &ip) || !get_typed(env, argv[5], &ix) ||
      !get_typed(env, argv[6], &vv) || !get_typed(env, argv[7], &c))
    return range_error(env, "denseMatmulCsrT: bad arguments");
  csr A;
  const char *err = check_csr(ip, ix, vv, ar, p, &A);
  if (err) return range_error(env, err);
  if (b.type != napi_float32_array || c.type != napi_float32_array || m < 0 || (int64_t)b.length < m * p ||
      (int64_t)c.length < m * ar)
    return range_error(env, "denseMatmulCsrT: b/c must be Float32Array of the right length");
  dmc_ctx x = {&A, b.data, c.data, p};
  parallel_for(m, 4, dmc_rows, &x);
  return NULL;
}

/* ---- C = A B' (both CSR) ------------------------------------------------------------------------------ */

typedef struct {
  const csr *A;
  const csc *Bt;
  double *c;
  int64_t q;
  bool sym;
} cct_ctx;

static void cct_rows(void *vctx, int64_t b0, int64_t b1) {
  cct_ctx *x = vctx;
  const csr *A = x->A;
  for (int64_t i = b0; i < b1; i++) {
    double *cr = x->c + i * x->q;
    for (int64_t t = A->indptr[i]; t < A->indptr[i + 1]; t++) {
      double v = A->values[t];
      int32_t col = A->indices[t];
      for (int64_t s = x->Bt->colptr[col]; s < x->Bt->colptr[col + 1]; s++) {
        int32_t j = x->Bt->rowidx[s];
        if (x->sym && j > i) break; /* rows ascend within a column: lower triangle only */
        cr[j] += v * x->Bt->vals[s];
      }
    }
  }
}

typedef struct {
  double *c;
  int64_t n;
} mir_ctx;

/* Tile rows [b0, b1) of 64: copy the lower triangle into the upper one tile by tile (cache-friendly). */
static void mirror_tiles(void *vctx, int64_t b0, int64_t b1) {
  mir_ctx *x = vctx;
  const int64_t T = 64, n = x->n;
  for (int64_t tb = b0; tb < b1; tb++) {
    int64_t j0 = tb * T; /* upper rows j0..j0+T take columns j0.. from the lower rows */
    for (int64_t i0 = j0; i0 < n; i0 += T)
      for (int64_t i = i0; i < i0 + T && i < n; i++)
        for (int64_t j = j0; j < j0 + T && j < i; j++) x->c[j * n + i] = x->c[i * n + j];
  }
}

/* csrMatmulCsrT(aRows, aIndptr, aIndices, aValues, bRows, bIndptr, bIndices, bValues, cols, c, symmetric) */
napi_value js_csr_matmul_csrt(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t ar, br, cols;
  typed_arg aip, aix, av, bip, bix, bv, c;
  bool sym;
  if (argc < 11 || !get_i64(env, argv[0], &ar) || !get_typed(env, argv[1], &aip) || !get_typed(env, argv[2], &aix) ||
      !get_typed(env, argv[3], &av) || !get_i64(env, argv[4], &br) || !get_typed(env, argv[5], &bip) ||
      !get_typed(env, argv[6], &bix) || !get_typed(env, argv[7], &bv) || !get_i64(env, argv[8], &cols) ||
      !get_typed(env, argv[9], &c) || !get_bool(env, argv[10], &sym))
    return range_error(env, "csrMatmulCsrT: bad arguments");
  csr A, B;
  const char *err = check_csr(aip, aix, av, ar, cols, &A);
  if (!err) err = check_csr(bip, bix, bv, br, cols, &B);
  if (err) return range_error(env, err);
  if (c.type != napi_float64_array || (int64_t)c.length < ar * br) return range_error(env, "csrMatmulCsrT: c must be Float64Array of aRows * bRows");
  if (sym && ar != br) return range_error(env, "csrMatmulCsrT: symmetric needs a square result");
  csc Bt;
  if (!to_csc(&B, &Bt)) return range_error(env, "csrMatmulCsrT: out of memory");
  cct_ctx x = {&A, &Bt, c.data, br, sym};
  parallel_for(ar, 8, cct_rows, &x);
  free_csc(&Bt);
  if (sym) {
    mir_ctx mx = {c.data, ar};
    parallel_for((ar + 63) / 64, 1, mirror_tiles, &mx);
  }
  return NULL;
}

/* ---- C = A'A (p x p) ------------------------------------------------------------------------------------ */

typedef struct {
  const csr *A;
  const csc *At;
  double *c;
} cgc_ctx;

static void cgc_rows(void *vctx, int64_t b0, int64_t b1) {
  cgc_ctx *x = vctx;
  const csr *A = x->A;
  int64_t p = A->cols;
  for (int64_t a = b0; a < b1; a++) { /* C[a, :] = sum over rows i holding column a of A[i, a] A[i, :] */
    double *cr = x->c + a * p;
    for (int64_t s = x->At->colptr[a]; s < x->At->colptr[a + 1]; s++) {
      int64_t i = x->At->rowidx[s];
      double v = x->At->vals[s];
      for (int64_t t = A->indptr[i]; t < A->indptr[i + 1]; t++) cr[A->indices[t]] += v * A->values[t];
    }
  }
}

/* csrGramCols(rows, cols, indptr, indices, values, c) */
napi_value js_csr_gram_cols(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t rows, cols;
  typed_arg ip, ix, vv, c;
  if (argc < 6 || !get_i64(env, argv[0], &rows) || !get_i64(env, argv[1], &cols) || !get_typed(env, argv[2], &ip) ||
      !get_typed(env, argv[3], &ix) || !get_typed(env, argv[4], &vv) || !get_typed(env, argv[5], &c))
    return range_error(env, "csrGramCols: bad arguments");
  csr A;
  const char *err = check_csr(ip, ix, vv, rows, cols, &A);
  if (err) return range_error(env, err);
  if (c.type != napi_float64_array || (int64_t)c.length < cols * cols) return range_error(env, "csrGramCols: c must be Float64Array of cols * cols");
  csc At;
  if (!to_csc(&A, &At)) return range_error(env, "csrGramCols: out of memory");
  cgc_ctx x = {&A, &At, c.data};
  parallel_for(cols, 16, cgc_rows, &x);
  free_csc(&At);
  return NULL;
}
