/*
 * align_linalg: a thin N-API addon over OpenBLAS (CBLAS) and LAPACKE for the compute core.
 * Dense functions here (sgemm, dgemm, gram, dsyevd); CSR kernels in sparse.c. Every matrix is row-major;
 * output arrays are allocated by the caller (JavaScript) and overwritten. Argument checks throw RangeError
 * instead of reading or writing out of bounds. The dense operations also come as ...Async variants that run
 * on the libuv thread pool and return a Promise; the CSR kernels are synchronous (and multi-threaded).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "common.h"
#include "fold.h"

extern int openblas_get_num_threads(void);
extern void openblas_set_num_threads(int);
extern char *openblas_get_config(void);

static int g_threads = 0; /* 0: follow OpenBLAS */

int align_threads(void) {
  int t = g_threads > 0 ? g_threads : openblas_get_num_threads();
  return t < 1 ? 1 : t;
}

static napi_value range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/*
 * One dense operation, parsed from JavaScript arguments and runnable on any thread. Pointers refer to the
 * caller's typed arrays; the async variants hold references to them until the promise settles.
 */
typedef enum { OP_GEMM, OP_GRAM, OP_SYEVD } op_kind;

typedef struct {
  op_kind kind;
  napi_typedarray_type ty; /* gemm: element type; gram: X's element type */
  bool ta, tb, f32p;
  int64_t m, n, k, lda, ldb, rows, cols, side;
  void *a, *b, *c; /* gemm: A, B, C; gram: X, -, C; syevd: A, w, Z */
  int info;        /* LAPACK info (syevd) */
  const char *err; /* run-time failure (out of memory) */
  napi_value arrays[3];
  napi_ref refs[3];
  int narrays;
  napi_deferred deferred;
  napi_async_work work;
} job;

/* gemm(transA, transB, m, n, k, a, lda, b, ldb, c) */
static const char *parse_gemm(napi_env env, size_t argc, napi_value *argv, job *j) {
  typed_arg a, b, c;
  if (argc < 10 || !get_bool(env, argv[0], &j->ta) || !get_bool(env, argv[1], &j->tb) || !get_i64(env, argv[2], &j->m) ||
      !get_i64(env, argv[3], &j->n) || !get_i64(env, argv[4], &j->k) || !get_typed(env, argv[5], &a) ||
      !get_i64(env, argv[6], &j->lda) || !get_typed(env, argv[7], &b) || !get_i64(env, argv[8], &j->ldb) ||
      !get_typed(env, argv[9], &c))
    return "gemm(transA, transB, m, n, k, a, lda, b, ldb, c): bad arguments";
  if (a.type != j->ty || b.type != j->ty || c.type != j->ty) return "gemm: wrong element type";
  int64_t m = j->m, n = j->n, k = j->k;
  if (m < 0 || n < 0 || k < 0) return "gemm: negative size";
  int64_t aRows = j->ta ? k : m, aMin = j->ta ? m : k, bRows = j->tb ? n : k, bMin = j->tb ? k : n;
  if (j->lda < (aMin > 1 ? aMin : 1) || j->ldb < (bMin > 1 ? bMin : 1) || (int64_t)a.length < aRows * j->lda ||
      (int64_t)b.length < bRows * j->ldb || (int64_t)c.length < m * n)
    return "gemm: array too short for the given sizes";
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX || j->lda > INT32_MAX || j->ldb > INT32_MAX)
    return "gemm: size exceeds 32-bit BLAS";
  j->a = a.data, j->b = b.data, j->c = c.data;
  j->arrays[0] = argv[5], j->arrays[1] = argv[7], j->arrays[2] = argv[9], j->narrays = 3;
  return NULL;
}

static void run_gemm(job *j) {
  if (j->m == 0 || j->n == 0) return;
  enum CBLAS_TRANSPOSE opA = j->ta ? CblasTrans : CblasNoTrans, opB = j->tb ? CblasTrans : CblasNoTrans;
  if (j->ty == napi_float32_array)
    cblas_sgemm(CblasRowMajor, opA, opB, (int)j->m, (int)j->n, (int)j->k, 1.0f, (const float *)j->a, (int)j->lda,
                (const float *)j->b, (int)j->ldb, 0.0f, (float *)j->c, (int)j->n);
  else
    cblas_dgemm(CblasRowMajor, opA, opB, (int)j->m, (int)j->n, (int)j->k, 1.0, (const double *)j->a, (int)j->lda,
                (const double *)j->b, (int)j->ldb, 0.0, (double *)j->c, (int)j->n);
}

/* Mirror the upper triangle of a row-major n x n matrix into the lower one. */
static void mirror_upper(double *c, int64_t n) {
  const int64_t B = 64;
  for (int64_t i0 = 0; i0 < n; i0 += B)
    for (int64_t j0 = i0; j0 < n; j0 += B)
      for (int64_t i = i0; i < i0 + B && i < n; i++)
        for (int64_t j = (j0 > i + 1 ? j0 : i + 1); j < j0 + B && j < n; j++) c[j * n + i] = c[i * n + j];
}

/* gram(x, rows, cols, side, f32Products, c) */
static const char *parse_gram(napi_env env, size_t argc, napi_value *argv, job *j) {
  typed_arg x, c;
  if (argc < 6 || !get_typed(env, argv[0], &x) || !get_i64(env, argv[1], &j->rows) || !get_i64(env, argv[2], &j->cols) ||
      !get_i64(env, argv[3], &j->side) || !get_bool(env, argv[4], &j->f32p) || !get_typed(env, argv[5], &c))
    return "gram(x, rows, cols, side, f32Products, c): bad arguments";
  if ((x.type != napi_float32_array && x.type != napi_float64_array) || c.type != napi_float64_array)
    return "gram: x must be Float32Array or Float64Array, c Float64Array";
  int64_t n = j->side == 0 ? j->cols : j->rows;
  if (j->rows < 0 || j->cols < 0 || (int64_t)x.length < j->rows * j->cols || (int64_t)c.length < n * n)
    return "gram: array too short for the given sizes";
  if (j->rows > INT32_MAX || j->cols > INT32_MAX) return "gram: size exceeds 32-bit BLAS";
  j->ty = x.type, j->a = x.data, j->c = c.data;
  j->arrays[0] = argv[0], j->arrays[1] = argv[5], j->narrays = 2;
  return NULL;
}

/*
 * C (n x n, f64, zeroed by the caller) = X'X (side 0, n = cols) or XX' (side 1, n = rows), full matrix.
 * f64 X: one dsyrk. f32 X: blocks of the summed dimension, either converted to f64 and accumulated with dsyrk
 * (exact products), or with f32Products multiplied by ssyrk (256 per block) into a float scratch added in f64.
 */
static void run_gram(job *j) {
  int64_t rows = j->rows, cols = j->cols, side = j->side;
  int64_t n = side == 0 ? cols : rows, s = side == 0 ? rows : cols;
  if (n == 0 || s == 0) return;
  double *C = (double *)j->c;
  enum CBLAS_TRANSPOSE op = side == 0 ? CblasTrans : CblasNoTrans;
  if (j->ty == napi_float64_array) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, op, (int)n, (int)s, 1.0, (const double *)j->a, (int)cols, 0.0, C, (int)n);
  } else if (j->f32p) {
    const int64_t BLK = 256;
    float *T = malloc(sizeof(float) * n * n);
    if (!T) {
      j->err = "gram: out of memory";
      return;
    }
    const float *X = (const float *)j->a;
    for (int64_t s0 = 0; s0 < s; s0 += BLK) {
      int64_t sb = s - s0 < BLK ? s - s0 : BLK;
      const float *blk = side == 0 ? X + s0 * cols : X + s0;
      cblas_ssyrk(CblasRowMajor, CblasUpper, op, (int)n, (int)sb, 1.0f, blk, (int)cols, 0.0f, T, (int)n);
      for (int64_t i = 0; i < n; i++)
        for (int64_t k = i; k < n; k++) C[i * n + k] += T[i * n + k];
    }
    free(T);
  } else {
    /* Blocks of about 4M elements of X, converted to f64 (a contiguous block of sb summed indices). */
    int64_t sb = (int64_t)(4 << 20) / n;
    if (sb < 16) sb = 16;
    if (sb > s) sb = s;
    double *W = malloc(sizeof(double) * n * sb);
    if (!W) {
      j->err = "gram: out of memory";
      return;
    }
    const float *X = (const float *)j->a;
    for (int64_t s0 = 0; s0 < s; s0 += sb) {
      int64_t b = s - s0 < sb ? s - s0 : sb;
      if (side == 0) { /* rows s0..s0+b of X: b x n */
        const float *src = X + s0 * cols;
        for (int64_t t = 0; t < b * n; t++) W[t] = src[t];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)b, 1.0, W, (int)n, 1.0, C, (int)n);
      } else { /* columns s0..s0+b of X: n x b */
        for (int64_t r = 0; r < n; r++) {
          const float *src = X + r * cols + s0;
          double *dst = W + r * b;
          for (int64_t t = 0; t < b; t++) dst[t] = src[t];
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)b, 1.0, W, (int)b, 1.0, C, (int)n);
      }
    }
    free(W);
  }
  mirror_upper(C, n);
}

/* In-place transpose of a square row-major n x n matrix, blocked. */
static void transpose_square(double *z, int64_t n) {
  const int64_t B = 64;
  for (int64_t i0 = 0; i0 < n; i0 += B)
    for (int64_t j0 = i0; j0 < n; j0 += B)
      for (int64_t i = i0; i < i0 + B && i < n; i++)
        for (int64_t k = (j0 > i + 1 ? j0 : i + 1); k < j0 + B && k < n; k++) {
          double t = z[i * n + k];
          z[i * n + k] = z[k * n + i];
          z[k * n + i] = t;
        }
}

/* dsyevd(a, n, w, z) */
static const char *parse_syevd(napi_env env, size_t argc, napi_value *argv, job *j) {
  typed_arg a, w, z;
  if (argc < 4 || !get_typed(env, argv[0], &a) || !get_i64(env, argv[1], &j->n) || !get_typed(env, argv[2], &w) ||
      !get_typed(env, argv[3], &z))
    return "dsyevd(a, n, w, z): bad arguments";
  if (a.type != napi_float64_array || w.type != napi_float64_array || z.type != napi_float64_array)
    return "dsyevd: arrays must be Float64Array";
  int64_t n = j->n;
  if (n < 0 || n > 46340 || (int64_t)a.length < n * n || (int64_t)w.length < n || (int64_t)z.length < n * n)
    return "dsyevd: array too short for n (or n too large)";
  j->a = a.data, j->b = w.data, j->c = z.data;
  j->arrays[0] = argv[0], j->arrays[1] = argv[2], j->arrays[2] = argv[3], j->narrays = 3;
  return NULL;
}

/*
 * w (n) = eigenvalues ascending, z (n x n) = eigenvectors as COLUMNS (row-major) of a (n x n f64 row-major,
 * upper triangle read, not modified). The upper triangle of a row-major matrix is the lower triangle of the
 * same buffer read column-major, so LAPACK runs on a copy with uplo 'L' and its column-major vectors are
 * transposed in place. Workspace sizes are queried in float64 (never through a float32 lwork).
 */
static void run_syevd(job *j) {
  int64_t n = j->n;
  j->info = 0;
  if (n == 0) return;
  double *Z = (double *)j->c, *w = (double *)j->b;
  memcpy(Z, j->a, sizeof(double) * n * n);
  double wq;
  lapack_int iwq;
  lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)n, Z, (lapack_int)n, w, &wq, -1, &iwq, -1);
  if (info == 0) {
    double lw = ceil(wq), min_lw = 1.0 + 6.0 * n + 2.0 * (double)n * n; /* LAPACK's minimum for jobz 'V' */
    if (lw < min_lw) lw = min_lw;
    lapack_int lwork = (lapack_int)lw, liwork = iwq < 3 + 5 * n ? (lapack_int)(3 + 5 * n) : iwq;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    lapack_int *iwork = malloc(sizeof(lapack_int) * (size_t)liwork);
    if (!work || !iwork) {
      free(work);
      free(iwork);
      j->err = "dsyevd: out of memory for the workspace";
      return;
    }
    info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)n, Z, (lapack_int)n, w, work, lwork, iwork, liwork);
    free(work);
    free(iwork);
    transpose_square(Z, n);
  }
  j->info = (int)info;
}

static const char *parse_job(napi_env env, napi_callback_info info, job *j) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return "bad call";
  switch (j->kind) {
    case OP_GEMM: return parse_gemm(env, argc, argv, j);
    case OP_GRAM: return parse_gram(env, argc, argv, j);
    default: return parse_syevd(env, argc, argv, j);
  }
}

static void run_job(job *j) {
  switch (j->kind) {
    case OP_GEMM: run_gemm(j); break;
    case OP_GRAM: run_gram(j); break;
    default: run_syevd(j); break;
  }
}

/* Synchronous call: returns the LAPACK info (0 for BLAS operations). */
static napi_value call_sync(napi_env env, napi_callback_info info, op_kind kind, napi_typedarray_type ty) {
  job j = {0};
  j.kind = kind, j.ty = ty;
  const char *err = parse_job(env, info, &j);
  if (err) return range_error(env, err);
  run_job(&j);
  if (j.err) {
    napi_throw_error(env, NULL, j.err);
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_int32(env, j.info, &out));
  return out;
}

static void async_execute(napi_env env, void *data) {
  (void)env;
  run_job((job *)data);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value v;
  if (status != napi_ok || j->err) {
    napi_value msg;
    napi_create_string_utf8(env, j->err ? j->err : "align_linalg: async work cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &v);
    napi_reject_deferred(env, j->deferred, v);
  } else {
    napi_create_int32(env, j->info, &v);
    napi_resolve_deferred(env, j->deferred, v);
  }
  for (int i = 0; i < j->narrays; i++) napi_delete_reference(env, j->refs[i]);
  napi_delete_async_work(env, j->work);
  free(j);
}

/*
 * Asynchronous call on the libuv thread pool: same arguments, returns a Promise of the LAPACK info. The
 * typed arrays are referenced until it settles; the caller must not touch them meanwhile.
 */
static napi_value call_async(napi_env env, napi_callback_info info, op_kind kind, napi_typedarray_type ty) {
  job *j = calloc(1, sizeof(job));
  if (!j) return range_error(env, "align_linalg: out of memory");
  j->kind = kind, j->ty = ty;
  const char *err = parse_job(env, info, j);
  if (err) {
    free(j);
    return range_error(env, err);
  }
  for (int i = 0; i < j->narrays; i++) CHECK(napi_create_reference(env, j->arrays[i], 1, &j->refs[i]));
  napi_value promise, name;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "align_linalg", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, async_execute, async_complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

#define BIND(fn, kind, ty)                                                                             \
  static napi_value js_##fn(napi_env env, napi_callback_info info) { return call_sync(env, info, kind, ty); } \
  static napi_value js_##fn##_async(napi_env env, napi_callback_info info) { return call_async(env, info, kind, ty); }

BIND(sgemm, OP_GEMM, napi_float32_array)
BIND(dgemm, OP_GEMM, napi_float64_array)
BIND(gram, OP_GRAM, napi_float64_array)
BIND(dsyevd, OP_SYEVD, napi_float64_array)

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, blas, threads;
  CHECK(napi_create_object(env, &obj));
  const char *cfg = openblas_get_config();
  CHECK(napi_create_string_utf8(env, cfg ? cfg : "OpenBLAS", NAPI_AUTO_LENGTH, &blas));
  CHECK(napi_create_int32(env, align_threads(), &threads));
  CHECK(napi_set_named_property(env, obj, "blas", blas));
  CHECK(napi_set_named_property(env, obj, "threads", threads));
  return obj;
}

/* setThreads(n): OpenBLAS threads and CSR kernel threads (n >= 1). */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t t;
  if (argc < 1 || !get_i64(env, argv[0], &t) || t < 1 || t > 1024) return range_error(env, "setThreads(n >= 1)");
  openblas_set_num_threads((int)t);
  g_threads = (int)t;
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"dgemm", NULL, js_dgemm, NULL, NULL, NULL, napi_default, NULL},
    {"gram", NULL, js_gram, NULL, NULL, NULL, napi_default, NULL},
    {"dsyevd", NULL, js_dsyevd, NULL, NULL, NULL, napi_default, NULL},
    {"sgemmAsync", NULL, js_sgemm_async, NULL, NULL, NULL, napi_default, NULL},
    {"dgemmAsync", NULL, js_dgemm_async, NULL, NULL, NULL, napi_default, NULL},
    {"gramAsync", NULL, js_gram_async, NULL, NULL, NULL, napi_default, NULL},
    {"dsyevdAsync", NULL, js_dsyevd_async, NULL, NULL, NULL, napi_default, NULL},
    {"csrMatmulDense", NULL, js_csr_matmul_dense, NULL, NULL, NULL, napi_default, NULL},
    {"denseMatmulCsrT", NULL, js_dense_matmul_csrt, NULL, NULL, NULL, napi_default, NULL},
    {"csrMatmulCsrT", NULL, js_csr_matmul_csrt, NULL, NULL, NULL, napi_default, NULL},
    {"csrGramCols", NULL, js_csr_gram_cols, NULL, NULL, NULL, napi_default, NULL},
    {"ridgeFoldHost", NULL, js_ridge_fold_host, NULL, NULL, NULL, napi_default, NULL},
    {"looWeightedGram", NULL, js_loo_weighted_gram, NULL, NULL, NULL, napi_default, NULL},
    {"toyModelGradients", NULL, js_toy_model_gradients, NULL, NULL, NULL, napi_default, NULL},
    {"topkRelu", NULL, js_topk_relu, NULL, NULL, NULL, napi_default, NULL},
    {"authorsAuxGradients", NULL, js_authors_aux_gradients, NULL, NULL, NULL, napi_default, NULL},
    {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
