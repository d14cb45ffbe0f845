/*
 * align_cuda: the GPU path, built WITHOUT CUDA headers or libraries. libcudart, libcublas, libcusolver and
 * libcusparse are opened at run time (dlopen) from the folders given by JavaScript (ALIGN_CUDA_LIB_DIRS and
 * the usual places), then the loader's own path (LD_LIBRARY_PATH, ldconfig). The few prototypes and enum
 * values used are declared below, checked against NVIDIA's headers (cuda_runtime_api.h, driver_types.h,
 * library_types.h, cublas_api.h, cusolverDn.h, cusolver_common.h, cusparse.h): every enum is an int-sized C
 * enum, every handle and descriptor an opaque pointer.
 *
 * Exports: load(dirs) -> { ok, reason?, libs, device? }, sgemm/dgemm (row-major, host arrays, as the OpenBLAS
 * addon), dsyevd (cusolverDnXsyevd, 64-bit API), ridgeFold(spec) (fold.c on the device).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "fold.h"

/* Enum values (cublas_api.h, cusolver_common.h, cusparse.h, library_types.h, driver_types.h). */
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum { CUBLAS_FILL_MODE_LOWER = 0 };
enum { CUBLAS_SIDE_LEFT = 0, CUBLAS_SIDE_RIGHT = 1 };
enum { CUBLAS_POINTER_MODE_HOST = 0, CUBLAS_POINTER_MODE_DEVICE = 1 };
enum { CUSOLVER_EIG_MODE_VECTOR = 1 };
enum { CUDA_R_32F = 0, CUDA_R_64F = 1 };
enum { CUSPARSE_INDEX_32I = 2, CUSPARSE_INDEX_BASE_ZERO = 0, CUSPARSE_ORDER_ROW = 2, CUSPARSE_SPARSETODENSE_ALG_DEFAULT = 0 };
enum { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };
enum { cudaDevAttrComputeCapabilityMajor = 75, cudaDevAttrComputeCapabilityMinor = 76 };

typedef void *handle_t;

#define CUDART_FNS(X)                                                   \
  X(int, cudaGetDeviceCount, (int *))                                   \
  X(int, cudaSetDevice, (int))                                          \
  X(int, cudaMalloc, (void **, size_t))                                 \
  X(int, cudaFree, (void *))                                            \
  X(int, cudaMemcpy, (void *, const void *, size_t, int))               \
  X(int, cudaDeviceSynchronize, (void))                                 \
  X(const char *, cudaGetErrorString, (int))                            \
  X(int, cudaMemGetInfo, (size_t *, size_t *))                          \
  X(int, cudaRuntimeGetVersion, (int *))                                \
  X(int, cudaDriverGetVersion, (int *))                                 \
  X(int, cudaDeviceGetAttribute, (int *, int, int))

#define CUBLAS_FNS(X)                                                                                           \
  X(int, cublasCreate_v2, (handle_t *))                                                                         \
  X(int, cublasSetPointerMode_v2, (handle_t, int))                                                              \
  X(int, cublasSgemm_v2, (handle_t, int, int, int, int, int, const float *, const float *, int, const float *, int, \
                          const float *, float *, int))                                                         \
  X(int, cublasDgemm_v2, (handle_t, int, int, int, int, int, const double *, const double *, int, const double *,  \
                          int, const double *, double *, int))                                                  \
  X(int, cublasDsyrk_v2, (handle_t, int, int, int, int, const double *, const double *, int, const double *,       \
                          double *, int))                                                                       \
  X(int, cublasDdgmm, (handle_t, int, int, int, const double *, int, const double *, int, double *, int))          \
  X(int, cublasDsbmv_v2, (handle_t, int, int, int, const double *, const double *, int, const double *, int,       \
                          const double *, double *, int))                                                       \
  X(int, cublasDgemv_v2, (handle_t, int, int, int, const double *, const double *, int, const double *, int,       \
                          const double *, double *, int))                                                       \
  X(int, cublasDdot_v2, (handle_t, int, const double *, int, const double *, int, double *))                     \
  X(int, cublasDaxpy_v2, (handle_t, int, const double *, const double *, int, double *, int))                    \
  X(int, cublasDger_v2, (handle_t, int, int, const double *, const double *, int, const double *, int, double *, int))

#define CUSOLVER_FNS(X)                                                                                         \
  X(int, cusolverDnCreate, (handle_t *))                                                                        \
  X(int, cusolverDnCreateParams, (handle_t *))                                                                  \
  X(int, cusolverDnXsyevd_bufferSize, (handle_t, handle_t, int, int, int64_t, int, const void *, int64_t, int,    \
                                       const void *, int, size_t *, size_t *))                                  \
  X(int, cusolverDnXsyevd, (handle_t, handle_t, int, int, int64_t, int, void *, int64_t, int, void *, int, void *, \
                            size_t, void *, size_t, int *))

#define CUSPARSE_FNS(X)                                                                                         \
  X(int, cusparseCreate, (handle_t *))                                                                          \
  X(int, cusparseCreateCsr, (handle_t *, int64_t, int64_t, int64_t, void *, void *, void *, int, int, int, int))   \
  X(int, cusparseCreateDnMat, (handle_t *, int64_t, int64_t, int64_t, void *, int, int))                         \
  X(int, cusparseDestroySpMat, (handle_t))                                                                      \
  X(int, cusparseDestroyDnMat, (handle_t))                                                                      \
  X(int, cusparseSparseToDense_bufferSize, (handle_t, handle_t, handle_t, int, size_t *))                         \
  X(int, cusparseSparseToDense, (handle_t, handle_t, handle_t, int, void *))

#define DECLARE(ret, name, args) ret(*name) args;
static struct {
  CUDART_FNS(DECLARE)
  CUBLAS_FNS(DECLARE)
  CUSOLVER_FNS(DECLARE)
  CUSPARSE_FNS(DECLARE)
  int (*cuDeviceGetName)(char *, int, int);
} L;

static struct {
  int tried, ok;
  char reason[2048];
  char path[4][1300]; /* cudart, cublas, cusolver, cusparse */
  char device[256];
  int cc_major, cc_minor, runtime_version, driver_version;
  size_t mem_total;
  handle_t blas, solver, solver_params, sparse;
  char err[512];
} S;

/* One process-wide set of handles (worker threads share the loaded library): every use is serialised, since
 * a cuBLAS handle's pointer mode is switched around each dot. */
static pthread_mutex_t gpu_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *LIB_KEYS[4] = {"cudart", "cublas", "cusolver", "cusparse"};
/* Sonames by CUDA major: cuBLAS/cudart follow CUDA (13, 12); cuSOLVER and cuSPARSE are 12 in CUDA 13, 11/12 in CUDA 12. */
static const char *LIB_NAMES[4][5] = {
  {"libcudart.so.13", "libcudart.so.12", "libcudart.so", NULL},
  {"libcublas.so.13", "libcublas.so.12", "libcublas.so", NULL},
  {"libcusolver.so.12", "libcusolver.so.11", "libcusolver.so", NULL},
  {"libcusparse.so.12", "libcusparse.so.13", "libcusparse.so", NULL},
};
/* Their own dependencies, opened first from the same folder (a CUDA install has no RUNPATH to find them). */
static const char *DEP_NAMES[4][4] = {
  {NULL},
  {"libcublasLt.so.13", "libcublasLt.so.12", NULL},
  {"libnvJitLink.so.13", "libnvJitLink.so.12", NULL},
  {"libnvJitLink.so.13", "libnvJitLink.so.12", NULL},
};

static char last_dlerror[512];

/* Library k from the first folder holding one of its names (its dependencies preloaded from there), else by
 * name through the loader path. */
static void *open_lib(char **dirs, int ndirs, int k, char *found, size_t found_len) {
  char buf[1200];
  for (int d = 0; d < ndirs; d++) {
    for (int i = 0; LIB_NAMES[k][i]; i++) {
      snprintf(buf, sizeof(buf), "%s/%s", dirs[d], LIB_NAMES[k][i]);
      if (access(buf, R_OK) != 0) continue;
      for (int j = 0; DEP_NAMES[k][j]; j++) {
        char dep[1200];
        snprintf(dep, sizeof(dep), "%s/%s", dirs[d], DEP_NAMES[k][j]);
        if (access(dep, R_OK) == 0 && dlopen(dep, RTLD_NOW | RTLD_GLOBAL)) break;
      }
      void *h = dlopen(buf, RTLD_NOW | RTLD_GLOBAL);
      if (h) {
        snprintf(found, found_len, "%s", buf);
        return h;
      }
      const char *e = dlerror();
      snprintf(last_dlerror, sizeof(last_dlerror), "%.500s", e ? e : buf);
    }
  }
  for (int i = 0; LIB_NAMES[k][i]; i++) {
    void *h = dlopen(LIB_NAMES[k][i], RTLD_NOW | RTLD_GLOBAL);
    if (h) {
      snprintf(found, found_len, "%s (loader path)", LIB_NAMES[k][i]);
      return h;
    }
  }
  return NULL;
}

static void append(char *dst, size_t cap, const char *fmt, const char *a, const char *b) {
  size_t len = strlen(dst);
  if (len < cap) snprintf(dst + len, cap - len, fmt, a, b);
}

/* Open the libraries, resolve the symbols, find a device and create the handles. */
static void load_all(char **dirs, int ndirs) {
  S.tried = 1;
  S.reason[0] = 0;
  last_dlerror[0] = 0;
  void *h[4];
  char searched[1024] = "";
  for (int d = 0; d < ndirs; d++) append(searched, sizeof(searched), "%s%s", d ? ", " : "", dirs[d]);
  /* cuSPARSE before cuSOLVER: libcusolver needs libcublas(Lt), libcusparse and libnvJitLink already loaded
   * where its folder has no RUNPATH (a CUDA install). */
  static const int ORDER[4] = {0, 1, 3, 2};
  for (int o = 0; o < 4; o++) {
    int k = ORDER[o];
    h[k] = open_lib(dirs, ndirs, k, S.path[k], sizeof(S.path[k]));
    if (!h[k]) {
      char what[160];
      snprintf(what, sizeof(what), "lib%s.so (%s)", LIB_KEYS[k], LIB_NAMES[k][0]);
      append(S.reason, sizeof(S.reason), "%s%s", S.reason[0] ? "; " : "", what);
    }
  }
  if (S.reason[0]) {
    char tmp[2048];
    snprintf(tmp, sizeof(tmp), "%s not found in [%s] nor on the loader path (LD_LIBRARY_PATH, ldconfig)%s%s", S.reason, searched,
             last_dlerror[0] ? "; last load error: " : "", last_dlerror);
    snprintf(S.reason, sizeof(S.reason), "%s", tmp);
    return;
  }
  const char *missing = NULL;
#define SYM(ret, name, args) \
  if (!(L.name = (ret(*) args)dlsym(hcur, #name)) && !missing) missing = #name;
  void *hcur = h[0];
  CUDART_FNS(SYM)
  hcur = h[1];
  CUBLAS_FNS(SYM)
  hcur = h[2];
  CUSOLVER_FNS(SYM)
  hcur = h[3];
  CUSPARSE_FNS(SYM)
  if (missing) {
    snprintf(S.reason, sizeof(S.reason), "symbol %s not found in the CUDA libraries (too old a CUDA?)", missing);
    return;
  }
  int count = 0, rc = L.cudaGetDeviceCount(&count);
  if (rc != 0 || count < 1) {
    snprintf(S.reason, sizeof(S.reason), "no CUDA device: cudaGetDeviceCount returned %d (%s), %d devices", rc,
             L.cudaGetErrorString(rc) ? L.cudaGetErrorString(rc) : "?", count);
    return;
  }
  if ((rc = L.cudaSetDevice(0)) != 0) {
    snprintf(S.reason, sizeof(S.reason), "cudaSetDevice(0) failed: %d (%s)", rc, L.cudaGetErrorString(rc));
    return;
  }
  L.cudaRuntimeGetVersion(&S.runtime_version);
  L.cudaDriverGetVersion(&S.driver_version);
  L.cudaDeviceGetAttribute(&S.cc_major, cudaDevAttrComputeCapabilityMajor, 0);
  L.cudaDeviceGetAttribute(&S.cc_minor, cudaDevAttrComputeCapabilityMinor, 0);
  size_t free_b = 0;
  L.cudaMemGetInfo(&free_b, &S.mem_total);
  void *drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (drv && (L.cuDeviceGetName = (int (*)(char *, int, int))dlsym(drv, "cuDeviceGetName")))
    L.cuDeviceGetName(S.device, sizeof(S.device), 0);
  if ((rc = L.cublasCreate_v2(&S.blas)) != 0) {
    snprintf(S.reason, sizeof(S.reason), "cublasCreate failed: status %d", rc);
    return;
  }
  if ((rc = L.cusolverDnCreate(&S.solver)) != 0 || (rc = L.cusolverDnCreateParams(&S.solver_params)) != 0) {
    snprintf(S.reason, sizeof(S.reason), "cusolverDnCreate failed: status %d", rc);
    return;
  }
  if ((rc = L.cusparseCreate(&S.sparse)) != 0) {
    snprintf(S.reason, sizeof(S.reason), "cusparseCreate failed: status %d", rc);
    return;
  }
  S.ok = 1;
}

/* ---- fold_ops on the device ---- */

static int rt_fail(const char *what, int rc) {
  snprintf(S.err, sizeof(S.err), "%s: CUDA error %d (%s)", what, rc, L.cudaGetErrorString ? L.cudaGetErrorString(rc) : "?");
  return -1;
}
static int lib_fail(const char *what, int rc) {
  snprintf(S.err, sizeof(S.err), "%s: status %d", what, rc);
  return -1;
}
#define RT(call, what) do { int rc_ = (call); if (rc_) return rt_fail(what, rc_); } while (0)
#define LIB(call, what) do { int rc_ = (call); if (rc_) return lib_fail(what, rc_); } while (0)

static const double ONE = 1.0, ZERO = 0.0;

static void *c_alloc(void *ctx, size_t bytes) {
  (void)ctx;
  void *p = NULL;
  int rc = L.cudaMalloc(&p, bytes);
  if (rc) {
    rt_fail("cudaMalloc", rc);
    return NULL;
  }
  return p;
}
static void c_release(void *ctx, void *p) { (void)ctx, L.cudaFree(p); }
static int c_upload(void *ctx, void *dst, const void *src, size_t b) {
  (void)ctx;
  RT(L.cudaMemcpy(dst, src, b, cudaMemcpyHostToDevice), "cudaMemcpy to device");
  return 0;
}
static int c_download(void *ctx, void *dst, const void *src, size_t b) {
  (void)ctx;
  RT(L.cudaMemcpy(dst, src, b, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  return 0;
}
static int c_copy(void *ctx, void *dst, const void *src, size_t b) {
  (void)ctx;
  RT(L.cudaMemcpy(dst, src, b, cudaMemcpyDeviceToDevice), "cudaMemcpy on device");
  return 0;
}
static int c_gemm(void *ctx, int ta, int tb, int m, int n, int k, double alpha, const double *A, int lda,
                  const double *B, int ldb, double beta, double *C, int ldc) {
  (void)ctx;
  LIB(L.cublasDgemm_v2(S.blas, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc), "cublasDgemm");
  return 0;
}
static int c_syrk(void *ctx, int trans, int n, int k, const double *A, int lda, double *C, int ldc) {
  (void)ctx;
  LIB(L.cublasDsyrk_v2(S.blas, CUBLAS_FILL_MODE_LOWER, trans ? CUBLAS_OP_T : CUBLAS_OP_N, n, k, &ONE, A, lda, &ZERO, C, ldc), "cublasDsyrk");
  return 0;
}
static int c_dgmm(void *ctx, int right, int m, int n, const double *A, int lda, const double *x, double *C, int ldc) {
  (void)ctx;
  LIB(L.cublasDdgmm(S.blas, right ? CUBLAS_SIDE_RIGHT : CUBLAS_SIDE_LEFT, m, n, A, lda, x, 1, C, ldc), "cublasDdgmm");
  return 0;
}
static int c_hadamard(void *ctx, int len, const double *a, const double *b, double *out) {
  (void)ctx;
  LIB(L.cublasDsbmv_v2(S.blas, CUBLAS_FILL_MODE_LOWER, len, 0, &ONE, a, 1, b, 1, &ZERO, out, 1), "cublasDsbmv");
  return 0;
}
static int c_gemv(void *ctx, int trans, int m, int n, const double *A, int lda, const double *x, double *y) {
  (void)ctx;
  LIB(L.cublasDgemv_v2(S.blas, trans ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, &ONE, A, lda, x, 1, &ZERO, y, 1), "cublasDgemv");
  return 0;
}
/* The result stays on the device (no synchronisation per alpha). */
static int c_dot(void *ctx, int len, const double *x, const double *y, double *result) {
  (void)ctx;
  LIB(L.cublasSetPointerMode_v2(S.blas, CUBLAS_POINTER_MODE_DEVICE), "cublasSetPointerMode");
  int rc = L.cublasDdot_v2(S.blas, len, x, 1, y, 1, result);
  L.cublasSetPointerMode_v2(S.blas, CUBLAS_POINTER_MODE_HOST);
  LIB(rc, "cublasDdot");
  return 0;
}
static int c_axpy(void *ctx, int len, double alpha, const double *x, double *y) {
  (void)ctx;
  LIB(L.cublasDaxpy_v2(S.blas, len, &alpha, x, 1, y, 1), "cublasDaxpy");
  return 0;
}
static int c_ger(void *ctx, int m, int n, const double *x, const double *y, double *A, int lda) {
  (void)ctx;
  LIB(L.cublasDger_v2(S.blas, m, n, &ONE, x, 1, y, 1, A, lda), "cublasDger");
  return 0;
}
static int c_syevd(void *ctx, int n, double *A, double *w) {
  (void)ctx;
  size_t dev_b = 0, host_b = 0;
  int rc = L.cusolverDnXsyevd_bufferSize(S.solver, S.solver_params, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, n,
                                         CUDA_R_64F, A, n, CUDA_R_64F, w, CUDA_R_64F, &dev_b, &host_b);
  if (rc) return lib_fail("cusolverDnXsyevd_bufferSize", rc);
  void *dwork = NULL, *hwork = NULL;
  int *dinfo = NULL, info = 0;
  if ((rc = L.cudaMalloc(&dwork, dev_b ? dev_b : 8)) || (rc = L.cudaMalloc((void **)&dinfo, sizeof(int)))) {
    L.cudaFree(dwork);
    return rt_fail("cudaMalloc (syevd workspace)", rc);
  }
  hwork = malloc(host_b ? host_b : 8);
  rc = L.cusolverDnXsyevd(S.solver, S.solver_params, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, n, CUDA_R_64F, A, n,
                          CUDA_R_64F, w, CUDA_R_64F, dwork, dev_b, hwork, host_b, dinfo);
  int rc2 = rc ? 0 : L.cudaMemcpy(&info, dinfo, sizeof(int), cudaMemcpyDeviceToHost);
  L.cudaFree(dwork);
  L.cudaFree(dinfo);
  free(hwork);
  if (rc) return lib_fail("cusolverDnXsyevd", rc);
  if (rc2) return rt_fail("cudaMemcpy (syevd info)", rc2);
  if (info < 0) {
    snprintf(S.err, sizeof(S.err), "cusolverDnXsyevd: parameter %d is wrong", -info);
    return -1;
  }
  return info;
}
/* CSR -> dense row-major on the device (cusparseSparseToDense). */
static int c_csr_dense(void *ctx, int rows, int cols, int64_t nnz, const int32_t *indptr, const int32_t *indices,
                       const double *values, double *dense) {
  (void)ctx;
  handle_t sp = NULL, dn = NULL;
  void *buf = NULL;
  size_t bytes = 0;
  int rc;
  if ((rc = L.cusparseCreateCsr(&sp, rows, cols, nnz, (void *)indptr, (void *)indices, (void *)values, CUSPARSE_INDEX_32I,
                                CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_64F)))
    return lib_fail("cusparseCreateCsr", rc);
  if ((rc = L.cusparseCreateDnMat(&dn, rows, cols, cols, dense, CUDA_R_64F, CUSPARSE_ORDER_ROW))) {
    L.cusparseDestroySpMat(sp);
    return lib_fail("cusparseCreateDnMat", rc);
  }
  rc = L.cusparseSparseToDense_bufferSize(S.sparse, sp, dn, CUSPARSE_SPARSETODENSE_ALG_DEFAULT, &bytes);
  int mrc = rc ? 0 : L.cudaMalloc(&buf, bytes ? bytes : 8);
  if (!rc && !mrc) rc = L.cusparseSparseToDense(S.sparse, sp, dn, CUSPARSE_SPARSETODENSE_ALG_DEFAULT, buf);
  L.cudaFree(buf);
  L.cusparseDestroyDnMat(dn);
  L.cusparseDestroySpMat(sp);
  if (mrc) return rt_fail("cudaMalloc (sparse-to-dense buffer)", mrc);
  if (rc) return lib_fail("cusparseSparseToDense", rc);
  return 0;
}
static int c_sync(void *ctx) {
  (void)ctx;
  RT(L.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  return 0;
}
static const char *c_error(void *ctx) { return (void)ctx, S.err; }

static const fold_ops cuda_ops = {
  NULL, c_alloc, c_release, c_upload, c_download, c_copy, c_gemm, c_syrk, c_dgmm, c_hadamard, c_gemv, c_dot, c_axpy,
  c_ger, c_syevd, c_csr_dense, c_sync, c_error,
};

/* ---- N-API ---- */

static napi_value str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}
static napi_value num(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

static napi_value status_object(napi_env env) {
  napi_value obj, libs, ok;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_get_boolean(env, S.ok != 0, &ok));
  CHECK(napi_set_named_property(env, obj, "ok", ok));
  if (!S.ok) CHECK(napi_set_named_property(env, obj, "reason", str(env, S.tried ? S.reason : "not loaded yet")));
  CHECK(napi_create_object(env, &libs));
  for (int k = 0; k < 4; k++)
    if (S.path[k][0]) CHECK(napi_set_named_property(env, libs, LIB_KEYS[k], str(env, S.path[k])));
  CHECK(napi_set_named_property(env, obj, "libs", libs));
  if (S.ok) {
    napi_value dev;
    char cc[32];
    CHECK(napi_create_object(env, &dev));
    snprintf(cc, sizeof(cc), "%d.%d", S.cc_major, S.cc_minor);
    CHECK(napi_set_named_property(env, dev, "name", str(env, S.device[0] ? S.device : "unknown (libcuda.so.1 not opened)")));
    CHECK(napi_set_named_property(env, dev, "computeCapability", str(env, cc)));
    CHECK(napi_set_named_property(env, dev, "memoryBytes", num(env, (double)S.mem_total)));
    CHECK(napi_set_named_property(env, dev, "runtimeVersion", num(env, S.runtime_version)));
    CHECK(napi_set_named_property(env, dev, "driverVersion", num(env, S.driver_version)));
    CHECK(napi_set_named_property(env, obj, "device", dev));
  }
  return obj;
}

/* load(dirs: string[]): opens the libraries once (later calls return the first outcome). */
static napi_value js_load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arr;
  CHECK(napi_get_cb_info(env, info, &argc, &arr, NULL, NULL));
  pthread_mutex_lock(&gpu_lock);
  if (!S.tried) {
    uint32_t len = 0;
    bool is_arr = false;
    if (argc >= 1) napi_is_array(env, arr, &is_arr);
    if (is_arr) napi_get_array_length(env, arr, &len);
    if (len > 64) len = 64;
    char *dirs[64];
    int nd = 0;
    for (uint32_t i = 0; i < len; i++) {
      napi_value e;
      size_t n = 0;
      if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &n) != napi_ok) continue;
      dirs[nd] = malloc(n + 1);
      napi_get_value_string_utf8(env, e, dirs[nd], n + 1, &n);
      nd++;
    }
    load_all(dirs, nd);
    for (int i = 0; i < nd; i++) free(dirs[i]);
  }
  pthread_mutex_unlock(&gpu_lock);
  return status_object(env);
}

static napi_value not_ready(napi_env env) {
  napi_throw_error(env, NULL, S.tried ? S.reason : "align_cuda: load() first");
  return NULL;
}

/* gemm(transA, transB, m, n, k, a, lda, b, ldb, c), row-major, float32 or float64 host arrays. */
static napi_value gemm_call(napi_env env, napi_callback_info info, napi_typedarray_type ty) {
  if (!S.ok) return not_ready(env);
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool ta, tb;
  int64_t m, n, k, lda, ldb;
  typed_arg a, b, c;
  if (argc < 10 || !get_bool(env, argv[0], &ta) || !get_bool(env, argv[1], &tb) || !get_i64(env, argv[2], &m) ||
      !get_i64(env, argv[3], &n) || !get_i64(env, argv[4], &k) || !get_typed(env, argv[5], &a) || !get_i64(env, argv[6], &lda) ||
      !get_typed(env, argv[7], &b) || !get_i64(env, argv[8], &ldb) || !get_typed(env, argv[9], &c) || a.type != ty ||
      b.type != ty || c.type != ty) {
    napi_throw_range_error(env, NULL, "gemm(transA, transB, m, n, k, a, lda, b, ldb, c): bad arguments");
    return NULL;
  }
  int64_t aRows = ta ? k : m, aMin = ta ? m : k, bRows = tb ? n : k, bMin = tb ? k : n;
  if (m < 1 || n < 1 || k < 1 || lda < aMin || ldb < bMin || (int64_t)a.length < aRows * lda || (int64_t)b.length < bRows * ldb ||
      (int64_t)c.length < m * n || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX) {
    napi_throw_range_error(env, NULL, "gemm: sizes do not match the arrays (or exceed 32 bits)");
    return NULL;
  }
  size_t es = ty == napi_float32_array ? 4 : 8;
  pthread_mutex_lock(&gpu_lock);
  void *dA = c_alloc(NULL, es * (size_t)(aRows * lda)), *dB = c_alloc(NULL, es * (size_t)(bRows * ldb)), *dC = c_alloc(NULL, es * (size_t)(m * n));
  int rc = !dA || !dB || !dC;
  /* Row-major C = op(A) op(B) is column-major C' = op(B)' op(A)'. */
  if (!rc) rc = c_upload(NULL, dA, a.data, es * (size_t)(aRows * lda)) || c_upload(NULL, dB, b.data, es * (size_t)(bRows * ldb));
  if (!rc) {
    int st;
    if (ty == napi_float32_array) {
      const float one = 1.0f, zero = 0.0f;
      st = L.cublasSgemm_v2(S.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)n, (int)m, (int)k, &one, dB,
                            (int)ldb, dA, (int)lda, &zero, dC, (int)n);
    } else {
      st = L.cublasDgemm_v2(S.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)n, (int)m, (int)k, &ONE, dB,
                            (int)ldb, dA, (int)lda, &ZERO, dC, (int)n);
    }
    rc = st ? lib_fail("cublas gemm", st) : c_download(NULL, c.data, dC, es * (size_t)(m * n));
  }
  if (dA) L.cudaFree(dA);
  if (dB) L.cudaFree(dB);
  if (dC) L.cudaFree(dC);
  pthread_mutex_unlock(&gpu_lock);
  if (rc) {
    napi_throw_error(env, NULL, S.err);
    return NULL;
  }
  return NULL;
}
static napi_value js_sgemm(napi_env env, napi_callback_info info) { return gemm_call(env, info, napi_float32_array); }
static napi_value js_dgemm(napi_env env, napi_callback_info info) { return gemm_call(env, info, napi_float64_array); }

/* dsyevd(a, n, w, z): as the OpenBLAS addon (row-major, upper triangle read, eigenvectors as columns of z). */
static napi_value js_dsyevd(napi_env env, napi_callback_info info) {
  if (!S.ok) return not_ready(env);
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  typed_arg a, w, z;
  int64_t n;
  if (argc < 4 || !get_typed(env, argv[0], &a) || !get_i64(env, argv[1], &n) || !get_typed(env, argv[2], &w) || !get_typed(env, argv[3], &z) ||
      a.type != napi_float64_array || w.type != napi_float64_array || z.type != napi_float64_array || n < 1 || n > 46340 ||
      (int64_t)a.length < n * n || (int64_t)w.length < n || (int64_t)z.length < n * n) {
    napi_throw_range_error(env, NULL, "dsyevd(a, n, w, z): bad arguments");
    return NULL;
  }
  pthread_mutex_lock(&gpu_lock);
  double *dA = c_alloc(NULL, sizeof(double) * (size_t)(n * n)), *dW = c_alloc(NULL, sizeof(double) * (size_t)n);
  int info_ = -1;
  /* The upper triangle of row-major a is the lower triangle of the same buffer read column-major. */
  if (dA && dW && !c_upload(NULL, dA, a.data, sizeof(double) * (size_t)(n * n))) {
    info_ = c_syevd(NULL, (int)n, dA, dW);
    if (info_ >= 0 && (c_download(NULL, w.data, dW, sizeof(double) * (size_t)n) || c_download(NULL, z.data, dA, sizeof(double) * (size_t)(n * n))))
      info_ = -1;
  }
  if (dA) L.cudaFree(dA);
  if (dW) L.cudaFree(dW);
  pthread_mutex_unlock(&gpu_lock);
  if (info_ < 0) {
    napi_throw_error(env, NULL, S.err);
    return NULL;
  }
  /* Column-major eigenvectors -> row-major with eigenvectors as columns: transpose in place. */
  double *Z = z.data;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++) {
      double t = Z[i * n + j];
      Z[i * n + j] = Z[j * n + i];
      Z[j * n + i] = t;
    }
  napi_value out;
  CHECK(napi_create_int32(env, info_, &out));
  return out;
}

static napi_value js_ridge_fold(napi_env env, napi_callback_info info) {
  if (!S.ok) return not_ready(env);
  pthread_mutex_lock(&gpu_lock);
  napi_value r = fold_napi_call(env, info, &cuda_ops);
  pthread_mutex_unlock(&gpu_lock);
  return r;
}

static napi_value js_status(napi_env env, napi_callback_info info) {
  (void)info;
  return status_object(env);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"load", NULL, js_load, NULL, NULL, NULL, napi_default, NULL},
    {"status", NULL, js_status, NULL, NULL, NULL, napi_default, NULL},
    {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"dgemm", NULL, js_dgemm, NULL, NULL, NULL, napi_default, NULL},
    {"dsyevd", NULL, js_dsyevd, NULL, NULL, NULL, napi_default, NULL},
    {"ridgeFold", NULL, js_ridge_fold, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
