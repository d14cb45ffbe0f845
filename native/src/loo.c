/*
 * The alpha loop of the shared-alpha exact LOO ('weighted-gram' path of src/compute/ridge/loo.ts, ridge-loo.md)
 * in one pass over the rows of U, for every alpha at once:
 *   den_ki = max(base_i + sum_j U_ij^2 d_j(a_k), tol),  base_i = max(0, 1 - lev_i - [1/n]),  w_ki = 1 / den_ki^2
 *   omega_k = U' diag(w_k) U      (q x q, as gram() of the rows of U scaled by 1 / den_ki)
 *   base_k  = sum_i w_ki r0_i     cross_kj = sum_i w_ki U_ij C'_ij
 * The TypeScript version materialises den (alphas x n), W (n x alphas), U o C' and one scaled copy of U per
 * alpha (n x q each, ~0.7 GB at n = 1.3M, q = 64): per block of 256 rows these stay in cache here.
 * Arithmetic follows loo.ts: the scaled rows are rounded to U's dtype; an f32 U is multiplied by ssyrk per
 * block of 256 rows into a float scratch added in float64 (as gram() with f32 products), an f64 U by dsyrk.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "common.h"

#define BLK 256

typedef struct {
  int64_t n, q, m;
  int f32;
  const void *u, *ct; /* n x q row-major, f32 or f64 (ct may be NULL) */
  const double *lev;  /* n or NULL: ||U_i||^2 from U */
  const double *s2, *alphas, *r0; /* r0 may be NULL */
  int intercept;
  double tol;
  double *omega, *base_out, *cross_out; /* m x q x q, m, m x q (cross_out NULL when ct is) */
} loo_job;

static inline double at(const void *a, int f32, int64_t i) {
  return f32 ? (double)((const float *)a)[i] : ((const double *)a)[i];
}

static const char *run_loo(const loo_job *J) {
  const int64_t n = J->n, q = J->q, m = J->m;
  double *Dt = malloc(sizeof(double) * q * m);      /* d_j(a_k), q x m */
  double *U2 = malloc(sizeof(double) * BLK * q);    /* block of U o U, f64 */
  double *S = malloc(sizeof(double) * BLK * m);     /* U2 Dt */
  double *W = malloc(sizeof(double) * BLK * m);     /* w_ik */
  double *E = malloc(sizeof(double) * BLK * q);     /* U o C' (rounded to U's dtype) */
  double *base = malloc(sizeof(double) * BLK);
  void *Us = malloc((J->f32 ? sizeof(float) : sizeof(double)) * BLK * q);
  float *T = malloc(sizeof(float) * q * q);
  if (!Dt || !U2 || !S || !W || !E || !base || !Us || !T) {
    free(Dt), free(U2), free(S), free(W), free(E), free(base), free(Us), free(T);
    return "looWeightedGram: out of memory";
  }
  for (int64_t k = 0; k < m; k++)
    for (int64_t j = 0; j < q; j++) Dt[j * m + k] = J->alphas[k] / (J->s2[j] + J->alphas[k]);
  memset(J->omega, 0, sizeof(double) * m * q * q);
  memset(J->base_out, 0, sizeof(double) * m);
  if (J->cross_out) memset(J->cross_out, 0, sizeof(double) * m * q);
  const double inv_n = J->intercept ? 1.0 / (double)n : 0.0;
  for (int64_t i0 = 0; i0 < n; i0 += BLK) {
    const int64_t b = n - i0 < BLK ? n - i0 : BLK;
    for (int64_t r = 0; r < b; r++) {
      const int64_t i = i0 + r;
      double lev = 0;
      for (int64_t j = 0; j < q; j++) {
        const double v = at(J->u, J->f32, i * q + j);
        U2[r * q + j] = v * v;
        lev += v * v;
      }
      if (J->lev) lev = J->lev[i];
      const double bi = 1 - lev - inv_n;
      base[r] = bi > 0 ? bi : 0;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)m, (int)q, 1.0, U2, (int)q, Dt, (int)m, 0.0, S,
                (int)m);
    for (int64_t r = 0; r < b; r++)
      for (int64_t k = 0; k < m; k++) {
        double den = base[r] + S[r * m + k];
        if (!(den > J->tol)) den = J->tol;
        S[r * m + k] = den;
        W[r * m + k] = 1 / (den * den);
      }
    if (J->r0)
      for (int64_t r = 0; r < b; r++)
        for (int64_t k = 0; k < m; k++) J->base_out[k] += W[r * m + k] * J->r0[i0 + r];
    if (J->ct) {
      for (int64_t t = 0; t < b * q; t++) {
        const double p = at(J->u, J->f32, i0 * q + t) * at(J->ct, J->f32, i0 * q + t);
        E[t] = J->f32 ? (double)(float)p : p;
      }
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)q, (int)b, 1.0, W, (int)m, E, (int)q, 1.0,
                  J->cross_out, (int)q);
    }
    for (int64_t k = 0; k < m; k++) {
      double *Om = J->omega + k * q * q;
      if (J->f32) {
        const float *u = (const float *)J->u + i0 * q;
        float *us = Us;
        for (int64_t r = 0; r < b; r++) {
          const double sw = 1 / S[r * m + k];
          for (int64_t j = 0; j < q; j++) us[r * q + j] = (float)(u[r * q + j] * sw);
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)q, (int)b, 1.0f, us, (int)q, 0.0f, T, (int)q);
        for (int64_t a = 0; a < q; a++)
          for (int64_t c = a; c < q; c++) Om[a * q + c] += T[a * q + c];
      } else {
        const double *u = (const double *)J->u + i0 * q;
        double *us = Us;
        for (int64_t r = 0; r < b; r++) {
          const double sw = 1 / S[r * m + k];
          for (int64_t j = 0; j < q; j++) us[r * q + j] = u[r * q + j] * sw;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)q, (int)b, 1.0, us, (int)q, 1.0, Om, (int)q);
      }
    }
  }
  for (int64_t k = 0; k < m; k++) {
    double *Om = J->omega + k * q * q;
    for (int64_t a = 0; a < q; a++)
      for (int64_t c = a + 1; c < q; c++) Om[c * q + a] = Om[a * q + c];
  }
  free(Dt), free(U2), free(S), free(W), free(E), free(base), free(Us), free(T);
  return NULL;
}

static bool optional_typed(napi_env env, napi_value v, typed_arg *out, bool *present) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  *present = !(t == napi_null || t == napi_undefined);
  return !*present || get_typed(env, v, out);
}

/*
 * looWeightedGram(u, n, q, lev | null, s2, alphas, r0 | null, ct | null, intercept, tol, omega, base, cross | null)
 * u and ct: Float32Array or Float64Array (same type); every other array Float64Array.
 */
napi_value js_loo_weighted_gram(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  typed_arg u = {0}, lev = {0}, s2 = {0}, al = {0}, r0 = {0}, ct = {0}, om = {0}, bo = {0}, co = {0};
  bool hasLev, hasR0, hasCt, hasCo, intercept;
  int64_t n, q;
  double tol;
  if (argc < 13 || !get_typed(env, argv[0], &u) || !get_i64(env, argv[1], &n) || !get_i64(env, argv[2], &q) ||
      !optional_typed(env, argv[3], &lev, &hasLev) || !get_typed(env, argv[4], &s2) || !get_typed(env, argv[5], &al) ||
      !optional_typed(env, argv[6], &r0, &hasR0) || !optional_typed(env, argv[7], &ct, &hasCt) ||
      !get_bool(env, argv[8], &intercept) || napi_get_value_double(env, argv[9], &tol) != napi_ok ||
      !get_typed(env, argv[10], &om) || !get_typed(env, argv[11], &bo) || !optional_typed(env, argv[12], &co, &hasCo)) {
    napi_throw_range_error(env, NULL, "looWeightedGram(u, n, q, lev, s2, alphas, r0, ct, intercept, tol, omega, base, cross): bad arguments");
    return NULL;
  }
  const napi_typedarray_type F64 = napi_float64_array;
  const int64_t m = (int64_t)al.length;
  const char *err = NULL;
  if (u.type != napi_float32_array && u.type != F64) err = "looWeightedGram: u must be Float32Array or Float64Array";
  else if (n < 0 || q < 1 || q > 46340 || n > INT32_MAX || (int64_t)u.length < n * q) err = "looWeightedGram: u shorter than n x q";
  else if (hasCt && (ct.type != u.type || (int64_t)ct.length < n * q)) err = "looWeightedGram: ct must match u";
  else if (hasCt != hasCo) err = "looWeightedGram: ct and cross go together";
  else if (s2.type != F64 || al.type != F64 || om.type != F64 || bo.type != F64 || (hasLev && lev.type != F64) ||
           (hasR0 && r0.type != F64) || (hasCo && co.type != F64))
    err = "looWeightedGram: lev, s2, alphas, r0, omega, base, cross must be Float64Array";
  else if ((int64_t)s2.length < q || (hasLev && (int64_t)lev.length < n) || (hasR0 && (int64_t)r0.length < n) ||
           (int64_t)om.length < m * q * q || (int64_t)bo.length < m || (hasCo && (int64_t)co.length < m * q))
    err = "looWeightedGram: array too short for the given sizes";
  if (err) {
    napi_throw_range_error(env, NULL, err);
    return NULL;
  }
  loo_job J = {n, q, m, u.type == napi_float32_array, u.data, hasCt ? ct.data : NULL, hasLev ? lev.data : NULL,
               s2.data, al.data, hasR0 ? r0.data : NULL, intercept, tol, om.data, bo.data, hasCo ? co.data : NULL};
  if (m > 0 && n > 0) err = run_loo(&J);
  else {
    memset(om.data, 0, sizeof(double) * m * q * q);
    memset(bo.data, 0, sizeof(double) * m);
    if (hasCo) memset(co.data, 0, sizeof(double) * m * q);
  }
  if (err) napi_throw_error(env, NULL, err);
  return NULL;
}
