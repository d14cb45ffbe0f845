/* The device-resident ridge fold (see fold.h); every matrix below is column-major. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fold.h"

/* Relative eigenvalue floor and 1 - h_ii clamp: the same constants as basis.ts (EIG_REL_TOL) and loo.ts. */
#define EIG_REL_TOL 1e-10
#define LOO_DENOM_TOL 1e-12
#define MAX_BUFS 40
#define STAGE 262144 /* doubles per host staging block */

typedef struct {
  const fold_ops *ops;
  void *bufs[MAX_BUFS];
  int nb;
  fold_output *out;
} arena;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double *dalloc(arena *a, size_t count) {
  if (a->nb >= MAX_BUFS) return NULL;
  void *p = a->ops->alloc(a->ops->ctx, (count ? count : 1) * sizeof(double));
  if (p) a->bufs[a->nb++] = p;
  return p;
}

static void dfree(arena *a, void *p) {
  for (int i = 0; i < a->nb; i++) {
    if (a->bufs[i] == p) {
      a->ops->release(a->ops->ctx, p);
      a->bufs[i] = a->bufs[--a->nb];
      return;
    }
  }
}

static void arena_free(arena *a) {
  for (int i = 0; i < a->nb; i++) a->ops->release(a->ops->ctx, a->bufs[i]);
  a->nb = 0;
}

#define FAIL(...)                                              \
  do {                                                         \
    snprintf(out->err, sizeof(out->err), __VA_ARGS__);         \
    goto fail;                                                 \
  } while (0)
#define TRY(call, what)                                                          \
  do {                                                                           \
    if ((call) != 0) FAIL("%s: %s", what, ops->error(ctx));                       \
  } while (0)
#define ALLOC(ptr, count, what)                                                  \
  do {                                                                           \
    if (!((ptr) = dalloc(&A, (size_t)(count)))) FAIL("out of memory for %s (%zu doubles): %s", what, (size_t)(count), ops->error(ctx)); \
  } while (0)

/* Upload count values (float32 or float64 host array) as float64, through a host staging block. */
static int upload_f64(const fold_ops *ops, double *dst, const void *src, int f32, size_t count, double *stage) {
  if (!f32) return ops->upload(ops->ctx, dst, src, count * sizeof(double));
  const float *s = src;
  for (size_t o = 0; o < count; o += STAGE) {
    size_t c = count - o < STAGE ? count - o : STAGE;
    for (size_t i = 0; i < c; i++) stage[i] = s[o + i];
    if (ops->upload(ops->ctx, dst + o, stage, c * sizeof(double))) return -1;
  }
  return 0;
}

/* The design as a column-major cols x rows float64 matrix (= row-major rows x cols), shifts applied. */
static double *upload_design(arena *a, const fold_design *d, const double *ones, double *stage) {
  const fold_ops *ops = a->ops;
  fold_output *out = a->out;
  void *ctx = ops->ctx;
  int64_t rows = d->rows, cols = d->cols;
  double *X = NULL;
  if (!(X = dalloc(a, (size_t)(rows * cols)))) {
    snprintf(out->err, sizeof(out->err), "out of memory for the design (%lld x %lld): %s", (long long)rows, (long long)cols, ops->error(ctx));
    return NULL;
  }
  if (d->dense) {
    if (upload_f64(ops, X, d->dense, d->dense_f32, (size_t)(rows * cols), stage)) goto err;
  } else {
    int64_t nnz = d->indptr[rows];
    double *dv = dalloc(a, (size_t)nnz);
    int32_t *dp = (int32_t *)dalloc(a, (size_t)(rows + 2) / 2 + 1);
    int32_t *di = (int32_t *)dalloc(a, (size_t)(nnz + 1) / 2 + 1);
    if (!dv || !dp || !di) {
      snprintf(out->err, sizeof(out->err), "out of memory for the CSR design: %s", ops->error(ctx));
      return NULL;
    }
    if (upload_f64(ops, dv, d->values, 1, (size_t)nnz, stage) ||
        ops->upload(ctx, dp, d->indptr, sizeof(int32_t) * (size_t)(rows + 1)) ||
        ops->upload(ctx, di, d->indices, sizeof(int32_t) * (size_t)nnz) ||
        ops->csr_dense(ctx, (int)rows, (int)cols, nnz, dp, di, dv, X))
      goto err;
    dfree(a, dv);
    dfree(a, dp);
    dfree(a, di);
  }
  /* Xeff' = S' + 1_cols u' + w 1_rows' */
  if (d->u) {
    double *du = dalloc(a, (size_t)rows);
    if (!du || ops->upload(ctx, du, d->u, sizeof(double) * (size_t)rows) ||
        ops->ger(ctx, (int)cols, (int)rows, ones, du, X, (int)cols))
      goto err;
    dfree(a, du);
  }
  if (d->w) {
    double *dw = dalloc(a, (size_t)cols);
    if (!dw || ops->upload(ctx, dw, d->w, sizeof(double) * (size_t)cols) ||
        ops->ger(ctx, (int)cols, (int)rows, dw, ones, X, (int)cols))
      goto err;
    dfree(a, dw);
  }
  return X;
err:
  snprintf(out->err, sizeof(out->err), "uploading the design: %s", ops->error(ctx));
  return NULL;
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int ridge_fold(const fold_ops *ops, const fold_input *in, fold_output *out) {
  void *ctx = ops->ctx;
  arena A = {.ops = ops, .nb = 0, .out = out};
  out->err[0] = 0;
  const int64_t n = in->train.rows, p = in->train.cols, mt = in->test.rows, v = in->v;
  const int na = in->n_alphas;
  const int32_t all_targets[1] = {(int32_t)in->v};
  const int64_t ng = in->n_groups > 0 ? in->n_groups : 1;
  const int32_t *ends = in->n_groups > 0 ? in->group_ends : all_targets;
  const double *alphas = in->alphas;
  double *stage = NULL, *hW = NULL, *hD = NULL, *hS = NULL, *hLev = NULL, *den = NULL, *hTmp = NULL, *hCA = NULL;
  double *hR0 = NULL, *hQuad = NULL, *hRR = NULL;
  int rc = -1;
  const int form = in->form == 1 ? 1 : in->form == 2 ? 2 : (p <= n ? 1 : 2);
  const int64_t N = form == 1 ? p : n;
  const int64_t big = max64(max64(max64(n, p), max64(mt, v)), na);
  /* cuBLAS' 32-bit API: every element count handed to one call must fit in an int. */
  if (n < 1 || p < 1 || mt < 1 || v < 1 || na < 1) FAIL("empty fold (n %lld, units %lld, test %lld, targets %lld)", (long long)n, (long long)p, (long long)mt, (long long)v);
  if (in->test.cols != p) FAIL("test design has %lld units, training %lld", (long long)in->test.cols, (long long)p);
  if (n * v > INT_MAX || N * N > INT_MAX || n * p > INT_MAX || mt * max64(v, n) > INT_MAX)
    FAIL("fold too large for the 32-bit BLAS API (n %lld, units %lld, targets %lld)", (long long)n, (long long)p, (long long)v);
  if (!(stage = malloc(sizeof(double) * STAGE))) FAIL("out of host memory");

  double t = now_s();
  for (int i = 0; i < STAGE; i++) stage[i] = 1.0;
  double *ones;
  ALLOC(ones, big, "ones");
  for (int64_t o = 0; o < big; o += STAGE) TRY(ops->upload(ctx, ones + o, stage, sizeof(double) * (size_t)(big - o < STAGE ? big - o : STAGE)), "upload");
  double *Xc = upload_design(&A, &in->train, ones, stage);
  if (!Xc) goto fail;
  double *Xtc = upload_design(&A, &in->test, ones, stage);
  if (!Xtc) goto fail;
  double *Yc;
  ALLOC(Yc, v * n, "the training targets");
  TRY(upload_f64(ops, Yc, in->y, in->y_f32, (size_t)(v * n), stage), "upload targets");
  TRY(ops->sync(ctx), "sync");
  out->seconds[0] = now_s() - t;

  /* Gram: X'X = Xc Xc' (primal, p x p) or XX' = Xc' Xc (dual, n x n), lower triangle. */
  t = now_s();
  double *G;
  ALLOC(G, N * N, "the Gram matrix");
  if (form == 1) TRY(ops->syrk(ctx, 0, (int)p, (int)n, Xc, (int)p, G, (int)p), "syrk");
  else TRY(ops->syrk(ctx, 1, (int)n, (int)p, Xc, (int)p, G, (int)n), "syrk");
  TRY(ops->sync(ctx), "sync");
  out->seconds[1] = now_s() - t;

  t = now_s();
  double *dW;
  ALLOC(dW, N, "eigenvalues");
  int info = ops->syevd(ctx, (int)N, G, dW);
  if (info < 0) FAIL("syevd: %s", ops->error(ctx));
  if (info > 0) FAIL("syevd did not converge (info %d)", info);
  if (!(hW = malloc(sizeof(double) * (size_t)N))) FAIL("out of host memory");
  TRY(ops->download(ctx, hW, dW, sizeof(double) * (size_t)N), "download eigenvalues");
  out->seconds[2] = now_s() - t;

  /* Directions above the floor: a suffix of the ascending eigenvalues (kept in ascending order here). */
  t = now_s();
  const double floor_ = hW[N - 1] * EIG_REL_TOL;
  int64_t j0 = N;
  while (j0 > 0 && hW[j0 - 1] > floor_ && hW[j0 - 1] > 0) j0--;
  const int64_t q = N - j0;
  if (q == 0) FAIL("the training design has rank 0");
  const double *s2 = hW + j0;
  out->rank = (int)q;
  out->form = form;
  if (q > STAGE) FAIL("rank %lld above the staging size", (long long)q);
  for (int64_t j = 0; j < q; j++) stage[j] = 1.0 / sqrt(s2[j]);
  double *dInvS;
  ALLOC(dInvS, q, "1/s");
  TRY(ops->upload(ctx, dInvS, stage, sizeof(double) * (size_t)q), "upload");
  double *V = G + (size_t)j0 * (size_t)N; /* N x q, ld N */
  double *U, *T;
  ALLOC(T, mt * q, "the test basis");
  if (form == 1) {
    ALLOC(U, n * q, "the training basis");
    TRY(ops->gemm(ctx, 1, 0, (int)n, (int)q, (int)p, 1.0, Xc, (int)p, V, (int)p, 0.0, U, (int)n), "gemm U = X V");
    TRY(ops->dgmm(ctx, 1, (int)n, (int)q, U, (int)n, dInvS, U, (int)n), "dgmm U / s");
    TRY(ops->gemm(ctx, 1, 0, (int)mt, (int)q, (int)p, 1.0, Xtc, (int)p, V, (int)p, 0.0, T, (int)mt), "gemm T = Xtest V");
    dfree(&A, G);
  } else {
    U = V; /* the eigenvectors themselves, ld n */
    double *Kt;
    ALLOC(Kt, mt * n, "Xtest X'");
    TRY(ops->gemm(ctx, 1, 0, (int)mt, (int)n, (int)p, 1.0, Xtc, (int)p, Xc, (int)p, 0.0, Kt, (int)mt), "gemm Xtest X'");
    TRY(ops->gemm(ctx, 0, 0, (int)mt, (int)q, (int)n, 1.0, Kt, (int)mt, U, (int)n, 0.0, T, (int)mt), "gemm T");
    TRY(ops->dgmm(ctx, 1, (int)mt, (int)q, T, (int)mt, dInvS, T, (int)mt), "dgmm T / s");
    dfree(&A, Kt);
  }
  dfree(&A, Xc);
  dfree(&A, Xtc);
  TRY(ops->sync(ctx), "sync");
  out->seconds[3] = now_s() - t;

  /* Alpha search (loo.ts looSharedAlpha; for several groups loo-groups.ts): every group gets its own LOO
   * errors and alpha from the one basis. */
  t = now_s();
  double *B, *U2, *lev, *dD, *S;
  ALLOC(B, q * v, "U'Y");
  TRY(ops->gemm(ctx, 1, 1, (int)q, (int)v, (int)n, 1.0, U, (int)n, Yc, (int)v, 0.0, B, (int)q), "gemm B = U'Y");
  ALLOC(U2, n * q, "U o U");
  TRY(ops->hadamard(ctx, (int)(n * q), U, U, U2), "hadamard");
  ALLOC(lev, n, "leverages");
  TRY(ops->gemv(ctx, 0, (int)n, (int)q, U2, (int)n, ones, lev), "gemv");
  if (!(hD = malloc(sizeof(double) * (size_t)(q * na))) || !(hS = malloc(sizeof(double) * (size_t)(n * na))) ||
      !(hLev = malloc(sizeof(double) * (size_t)n)) || !(den = malloc(sizeof(double) * (size_t)(n * na))) ||
      !(hTmp = calloc((size_t)(3 * n + 2 * na * ng), sizeof(double))) || !(hR0 = calloc((size_t)n, sizeof(double))) ||
      !(hQuad = calloc((size_t)(na * ng), sizeof(double))))
    FAIL("out of host memory");
  for (int k = 0; k < na; k++)
    for (int64_t j = 0; j < q; j++) hD[j + k * q] = alphas[k] / (s2[j] + alphas[k]);
  ALLOC(dD, q * na, "shrinkage factors");
  TRY(ops->upload(ctx, dD, hD, sizeof(double) * (size_t)(q * na)), "upload");
  ALLOC(S, n * na, "(U o U) D");
  TRY(ops->gemm(ctx, 0, 0, (int)n, na, (int)q, 1.0, U2, (int)n, dD, (int)q, 0.0, S, (int)n), "gemm (U o U) D");
  TRY(ops->download(ctx, hLev, lev, sizeof(double) * (size_t)n), "download");
  TRY(ops->download(ctx, hS, S, sizeof(double) * (size_t)(n * na)), "download");
  dfree(&A, U2);
  for (int k = 0; k < na; k++) {
    for (int64_t i = 0; i < n; i++) {
      double base = 1.0 - hLev[i];
      if (base < 0) base = 0;
      double d = base + hS[i + k * n];
      den[k * n + i] = d > LOO_DENOM_TOL ? d : LOO_DENOM_TOL;
    }
  }
  out->path = q <= 2 * v ? 1 : 2;
  out->chunks = 1;
  if (out->path == 1) {
    /* Weighted Gram, per group g: n v_g L_g(a) = sum_i w_i r0_gi + 2 sum_j d_j (W'E_g)_j + <D M_g D, U' diag(w) U>.
     * U' diag(w) U (Om) depends on the alpha only: it is formed once per alpha for a chunk of groups whose
     * M_g = B_g B_g' are held together (all groups in one chunk unless the stack exceeds stack_bytes). */
    double *base = hTmp + 3 * n; /* ng x na */
    double *cr = base + (size_t)na * ng;
    double *dWt = NULL, *Y2 = NULL, *dIsd, *Us, *Om, *DMD, *dQuad, *Ms;
    const double stack_cap = in->stack_bytes > 0 ? in->stack_bytes : 4.0 * 1073741824.0;
    int64_t per = (int64_t)(stack_cap / (8.0 * (double)q * (double)q));
    if (per < 1) per = 1;
    if (per > ng) per = ng;
    out->chunks = (int)((ng + per - 1) / per);
    if (q != n) {
      /* W (n x na) = 1 / den^2, for the remainder's cross terms */
      for (int k = 0; k < na; k++)
        for (int64_t i = 0; i < n; i++) hS[i + k * n] = 1.0 / (den[k * n + i] * den[k * n + i]);
      ALLOC(dWt, n * na, "LOO weights");
      TRY(ops->upload(ctx, dWt, hS, sizeof(double) * (size_t)(n * na)), "upload");
      if (!(hCA = malloc(sizeof(double) * (size_t)(na * q)))) FAIL("out of host memory");
      ALLOC(Y2, v * n, "Y o Y");
      TRY(ops->hadamard(ctx, (int)(v * n), Yc, Yc, Y2), "hadamard");
    }
    /* 1 / den for every alpha (Om = (diag(1/den) U)'(diag(1/den) U)) */
    double *isd = malloc(sizeof(double) * (size_t)(n * na));
    if (!isd) FAIL("out of host memory");
    for (int k = 0; k < na; k++)
      for (int64_t i = 0; i < n; i++) isd[i + k * n] = 1.0 / den[k * n + i];
    dIsd = dalloc(&A, (size_t)(n * na));
    int up_bad = !dIsd || ops->upload(ctx, dIsd, isd, sizeof(double) * (size_t)(n * na));
    free(isd);
    if (up_bad) FAIL("1 / (1 - h): %s", ops->error(ctx));
    ALLOC(Us, n * q, "scaled U");
    ALLOC(Om, q * q, "U' W U");
    ALLOC(DMD, q * q, "D M D");
    ALLOC(dQuad, na * ng, "quadratic terms");
    ALLOC(Ms, per * q * q, "the B B' stack");
    for (int64_t g0 = 0; g0 < ng; g0 += per) {
      const int64_t g1 = g0 + per < ng ? g0 + per : ng;
      for (int64_t g = g0; g < g1; g++) {
        const int64_t off = g ? ends[g - 1] : 0, vg = ends[g] - off;
        double *M = Ms + (size_t)(g - g0) * (size_t)(q * q), *Bg = B + (size_t)off * (size_t)q;
        TRY(ops->gemm(ctx, 0, 1, (int)q, (int)q, (int)vg, 1.0, Bg, (int)q, Bg, (int)q, 0.0, M, (int)q), "gemm B B'");
        if (q == n) continue;
        double *PT, *UM, *H, *yn, *upv, *umu, *CA;
        ALLOC(PT, n * q, "Y B'");
        TRY(ops->gemm(ctx, 1, 1, (int)n, (int)q, (int)vg, 1.0, Yc + off, (int)v, Bg, (int)q, 0.0, PT, (int)n), "gemm Y B'");
        ALLOC(UM, n * q, "U M");
        TRY(ops->gemm(ctx, 0, 0, (int)n, (int)q, (int)q, 1.0, U, (int)n, M, (int)q, 0.0, UM, (int)n), "gemm U M");
        ALLOC(yn, n, "||y_i||^2");
        ALLOC(upv, n, "U_i (YB')_i");
        ALLOC(umu, n, "U_i M U_i'");
        TRY(ops->gemv(ctx, 1, (int)vg, (int)n, Y2 + off, (int)v, ones, yn), "gemv");
        ALLOC(H, n * q, "scratch");
        TRY(ops->hadamard(ctx, (int)(n * q), U, PT, H), "hadamard");
        TRY(ops->gemv(ctx, 0, (int)n, (int)q, H, (int)n, ones, upv), "gemv");
        TRY(ops->hadamard(ctx, (int)(n * q), U, UM, H), "hadamard");
        TRY(ops->gemv(ctx, 0, (int)n, (int)q, H, (int)n, ones, umu), "gemv");
        TRY(ops->axpy(ctx, (int)(n * q), -1.0, UM, PT), "axpy"); /* PT = C' = Y B' - U M */
        TRY(ops->hadamard(ctx, (int)(n * q), U, PT, H), "hadamard"); /* E = U o C' */
        double *h3 = hTmp;
        TRY(ops->download(ctx, h3, yn, sizeof(double) * (size_t)n) || ops->download(ctx, h3 + n, upv, sizeof(double) * (size_t)n) ||
                ops->download(ctx, h3 + 2 * n, umu, sizeof(double) * (size_t)n),
            "download");
        for (int64_t i = 0; i < n; i++) {
          double r = h3[i] - 2 * h3[n + i] + h3[2 * n + i];
          hR0[i] = r > 0 ? r : 0;
        }
        ALLOC(CA, na * q, "W'E");
        TRY(ops->gemm(ctx, 1, 0, na, (int)q, (int)n, 1.0, dWt, (int)n, H, (int)n, 0.0, CA, na), "gemm W'E");
        TRY(ops->download(ctx, hCA, CA, sizeof(double) * (size_t)(na * q)), "download");
        for (int k = 0; k < na; k++) {
          double b = 0, c = 0;
          for (int64_t i = 0; i < n; i++) b += hS[i + k * n] * hR0[i];
          for (int64_t j = 0; j < q; j++) c += hD[j + k * q] * hCA[k + j * na];
          base[g * na + k] = b, cr[g * na + k] = c;
        }
        dfree(&A, PT), dfree(&A, UM), dfree(&A, H), dfree(&A, yn), dfree(&A, upv), dfree(&A, umu), dfree(&A, CA);
      }
      for (int k = 0; k < na; k++) {
        TRY(ops->dgmm(ctx, 0, (int)n, (int)q, U, (int)n, dIsd + (size_t)k * n, Us, (int)n), "dgmm");
        TRY(ops->gemm(ctx, 1, 0, (int)q, (int)q, (int)n, 1.0, Us, (int)n, Us, (int)n, 0.0, Om, (int)q), "gemm Us'Us");
        for (int64_t g = g0; g < g1; g++) {
          double *M = Ms + (size_t)(g - g0) * (size_t)(q * q);
          TRY(ops->dgmm(ctx, 0, (int)q, (int)q, M, (int)q, dD + (size_t)k * q, DMD, (int)q), "dgmm");
          TRY(ops->dgmm(ctx, 1, (int)q, (int)q, DMD, (int)q, dD + (size_t)k * q, DMD, (int)q), "dgmm");
          TRY(ops->dot(ctx, (int)(q * q), DMD, Om, dQuad + g * na + k), "dot");
        }
      }
    }
    TRY(ops->download(ctx, hQuad, dQuad, sizeof(double) * (size_t)(na * ng)), "download");
    for (int64_t g = 0; g < ng; g++) {
      const int64_t vg = ends[g] - (g ? ends[g - 1] : 0);
      for (int k = 0; k < na; k++) {
        double e = base[g * na + k] + 2 * cr[g * na + k] + hQuad[g * na + k];
        out->errors[g * na + k] = (e > 0 ? e : 0) / ((double)n * (double)vg);
      }
    }
    if (dWt) dfree(&A, dWt), dfree(&A, Y2);
    dfree(&A, dIsd), dfree(&A, Us), dfree(&A, Om), dfree(&A, DMD), dfree(&A, dQuad), dfree(&A, Ms);
  } else {
    /* Direct: R' = (Y - U B)' + B' (U diag(d))' per alpha; ||r_gi||^2 = column sums of the group's rows of R' o R'. */
    double *R0, *Ud, *R, *R2, *rr;
    ALLOC(R0, v * n, "Y - U B");
    TRY(ops->copy(ctx, R0, Yc, sizeof(double) * (size_t)(v * n)), "copy");
    TRY(ops->gemm(ctx, 1, 1, (int)v, (int)n, (int)q, -1.0, B, (int)q, U, (int)n, 1.0, R0, (int)v), "gemm Y - U B");
    ALLOC(Ud, n * q, "U diag(d)");
    ALLOC(R, v * n, "residuals");
    ALLOC(R2, v * n, "squared residuals");
    ALLOC(rr, n * na * ng, "residual norms");
    for (int k = 0; k < na; k++) {
      TRY(ops->dgmm(ctx, 1, (int)n, (int)q, U, (int)n, dD + (size_t)k * q, Ud, (int)n), "dgmm");
      TRY(ops->copy(ctx, R, R0, sizeof(double) * (size_t)(v * n)), "copy");
      TRY(ops->gemm(ctx, 1, 1, (int)v, (int)n, (int)q, 1.0, B, (int)q, Ud, (int)n, 1.0, R, (int)v), "gemm residuals");
      TRY(ops->hadamard(ctx, (int)(v * n), R, R, R2), "hadamard");
      for (int64_t g = 0; g < ng; g++) {
        const int64_t off = g ? ends[g - 1] : 0;
        TRY(ops->gemv(ctx, 1, (int)(ends[g] - off), (int)n, R2 + off, (int)v, ones, rr + (size_t)(k * ng + g) * (size_t)n), "gemv");
      }
    }
    if (!(hRR = malloc(sizeof(double) * (size_t)(n * na * ng)))) FAIL("out of host memory");
    TRY(ops->download(ctx, hRR, rr, sizeof(double) * (size_t)(n * na * ng)), "download");
    for (int64_t g = 0; g < ng; g++) {
      const int64_t vg = ends[g] - (g ? ends[g - 1] : 0);
      for (int k = 0; k < na; k++) {
        double e = 0;
        const double *r = hRR + (size_t)(k * ng + g) * (size_t)n;
        for (int64_t i = 0; i < n; i++) e += r[i] / (den[k * n + i] * den[k * n + i]);
        out->errors[g * na + k] = e / ((double)n * (double)vg);
      }
    }
    dfree(&A, R0), dfree(&A, Ud), dfree(&A, R), dfree(&A, R2), dfree(&A, rr);
  }
  for (int64_t g = 0; g < ng; g++) {
    int best = -1;
    const double *e = out->errors + g * na;
    for (int k = 0; k < na; k++)
      if (!isnan(e[k]) && (best < 0 || e[k] < e[best])) best = k;
    out->best[g] = best < 0 ? 0 : best;
  }
  TRY(ops->sync(ctx), "sync");
  out->seconds[4] = now_s() - t;

  /* Prediction at each group's alpha: Yhat_g' (v_g x mt) = B_g' (T diag(s / (s2 + a_g)))', one scaled T per
   * distinct alpha. */
  t = now_s();
  double *dF, *Tf, *Yh;
  ALLOC(dF, q, "prediction factors");
  ALLOC(Tf, mt * q, "the scaled test basis");
  ALLOC(Yh, v * mt, "predictions");
  for (int k = 0; k < na; k++) {
    int used = 0;
    for (int64_t g = 0; g < ng && !used; g++) used = out->best[g] == k;
    if (!used) continue;
    for (int64_t j = 0; j < q; j++) stage[j] = sqrt(s2[j]) / (s2[j] + alphas[k]);
    TRY(ops->upload(ctx, dF, stage, sizeof(double) * (size_t)q), "upload");
    TRY(ops->dgmm(ctx, 1, (int)mt, (int)q, T, (int)mt, dF, Tf, (int)mt), "dgmm");
    for (int64_t g = 0; g < ng; g++) {
      if (out->best[g] != k) continue;
      const int64_t off = g ? ends[g - 1] : 0;
      TRY(ops->gemm(ctx, 1, 1, (int)(ends[g] - off), (int)mt, (int)q, 1.0, B + (size_t)off * (size_t)q, (int)q, Tf, (int)mt, 0.0,
                    Yh + off, (int)v),
          "gemm predictions");
    }
  }
  const size_t total = (size_t)(v * mt);
  for (size_t o = 0; o < total; o += STAGE) {
    size_t c = total - o < STAGE ? total - o : STAGE;
    TRY(ops->download(ctx, stage, Yh + o, sizeof(double) * c), "download predictions");
    for (size_t i = 0; i < c; i++) out->yhat[o + i] = (float)stage[i];
  }
  out->seconds[5] = now_s() - t;
  rc = 0;
fail:
  arena_free(&A);
  free(stage), free(hW), free(hD), free(hS), free(hLev), free(den), free(hTmp), free(hCA), free(hR0), free(hQuad), free(hRR);
  return rc;
}
