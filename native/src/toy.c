/*
 * One gradient evaluation of the toy model of superposition (src/toy/model.ts toyModelGradients) on a batch of
 * rows read straight from the CSR data set (src/toy/data.ts denseRows, wrapping past the end):
 *   hPre = x W, h = ReLU(hPre), o = h W' + b, out = ReLU(o), loss = sum imp_f (out - |x|)^2 / (B F)
 *   dOPre = 2/(B F) imp (out - |x|) [o > 0], db = sum_rows dOPre
 *   dW = dOPre' h + x' (dOPre W o [hPre > 0])
 * The same sgemm calls and the same float64-then-float32 element arithmetic as the TypeScript function, so
 * the numbers are identical; it saves the per-step crossings and JavaScript passes over the B x F batch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "common.h"

/*
 * toyModelGradients(indptr, indices, values, dataRows, start, B, F, N, W, b, imp, x, hPre, h, o, dH, dWdec, dW, db)
 * -> loss. indptr Int32Array, indices Uint16Array, values / W / b / imp and the buffers Float32Array:
 * x B x F, hPre / h / dH B x N, o B x F, dWdec / dW F x N, db F (all overwritten).
 */
napi_value js_toy_model_gradients(napi_env env, napi_callback_info info) {
  size_t argc = 19;
  napi_value argv[19];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  typed_arg ip, ix, val, W, b, imp, x, hPre, h, o, dH, dWdec, dW, db;
  int64_t rows, start, B, F, N;
  if (argc < 19 || !get_typed(env, argv[0], &ip) || !get_typed(env, argv[1], &ix) || !get_typed(env, argv[2], &val) ||
      !get_i64(env, argv[3], &rows) || !get_i64(env, argv[4], &start) || !get_i64(env, argv[5], &B) ||
      !get_i64(env, argv[6], &F) || !get_i64(env, argv[7], &N) || !get_typed(env, argv[8], &W) ||
      !get_typed(env, argv[9], &b) || !get_typed(env, argv[10], &imp) || !get_typed(env, argv[11], &x) ||
      !get_typed(env, argv[12], &hPre) || !get_typed(env, argv[13], &h) || !get_typed(env, argv[14], &o) ||
      !get_typed(env, argv[15], &dH) || !get_typed(env, argv[16], &dWdec) || !get_typed(env, argv[17], &dW) ||
      !get_typed(env, argv[18], &db)) {
    napi_throw_range_error(env, NULL, "toyModelGradients: bad arguments");
    return NULL;
  }
  const napi_typedarray_type F32 = napi_float32_array;
  const char *err = NULL;
  if (ip.type != napi_int32_array || ix.type != napi_uint16_array || val.type != F32) err = "toyModelGradients: data must be Int32Array, Uint16Array, Float32Array";
  else if (W.type != F32 || b.type != F32 || imp.type != F32 || x.type != F32 || hPre.type != F32 || h.type != F32 || o.type != F32 ||
           dH.type != F32 || dWdec.type != F32 || dW.type != F32 || db.type != F32)
    err = "toyModelGradients: parameters and buffers must be Float32Array";
  else if (rows < 1 || B < 1 || F < 1 || N < 1 || start < 0 || start >= rows || B > INT32_MAX / F || (int64_t)ip.length < rows + 1 ||
           (int64_t)W.length < F * N || (int64_t)b.length < F || (int64_t)imp.length < F || (int64_t)x.length < B * F ||
           (int64_t)hPre.length < B * N || (int64_t)h.length < B * N || (int64_t)o.length < B * F || (int64_t)dH.length < B * N ||
           (int64_t)dWdec.length < F * N || (int64_t)dW.length < F * N || (int64_t)db.length < F)
    err = "toyModelGradients: array too short for the given sizes";
  if (!err) {
    const int32_t *p = ip.data;
    if (p[0] < 0 || (int64_t)p[rows] > (int64_t)ix.length || (int64_t)p[rows] > (int64_t)val.length) err = "toyModelGradients: indptr out of range";
    else
      for (int64_t i = 0; i < B && !err; i++) {
        const int64_t r = (start + i) % rows;
        if (p[r + 1] < p[r]) err = "toyModelGradients: indptr decreases";
        for (int32_t q = p[r]; q < p[r + 1] && !err; q++)
          if (((const uint16_t *)ix.data)[q] >= F) err = "toyModelGradients: feature index out of range";
      }
  }
  if (err) {
    napi_throw_range_error(env, NULL, err);
    return NULL;
  }
  const int32_t *indptr = ip.data;
  const uint16_t *ind = ix.data;
  const float *vals = val.data, *w = W.data, *bb = b.data, *im = imp.data;
  float *X = x.data, *HP = hPre.data, *H = h.data, *O = o.data, *DH = dH.data, *DWD = dWdec.data, *DW = dW.data, *DB = db.data;
  const int n = (int)N, f = (int)F, bs = (int)B;
  memset(X, 0, sizeof(float) * B * F);
  for (int64_t i = 0; i < B; i++) {
    const int64_t r = (start + i) % rows;
    for (int32_t q = indptr[r]; q < indptr[r + 1]; q++) X[i * F + ind[q]] = vals[q];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, n, f, 1.0f, X, f, w, n, 0.0f, HP, n);
  for (int64_t t = 0; t < B * N; t++) H[t] = HP[t] > 0 ? HP[t] : 0;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, f, n, 1.0f, H, n, w, n, 0.0f, O, f);
  double loss = 0;
  const double c = 2.0 / ((double)B * (double)F);
  for (int64_t k = 0; k < F; k++) DB[k] = 0;
  for (int64_t r = 0; r < B; r++) {
    const int64_t ro = r * F;
    for (int64_t k = 0; k < F; k++) {
      const double pre = (double)O[ro + k] + (double)bb[k];
      const double out = pre > 0 ? pre : 0;
      const double diff = out - fabs((double)X[ro + k]);
      loss += (double)im[k] * diff * diff;
      const double g = pre > 0 ? c * (double)im[k] * diff : 0;
      O[ro + k] = (float)g;
      DB[k] = (float)((double)DB[k] + g);
    }
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, n, bs, 1.0f, O, f, H, n, 0.0f, DWD, n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, n, f, 1.0f, O, f, w, n, 0.0f, DH, n);
  for (int64_t t = 0; t < B * N; t++)
    if (!(HP[t] > 0)) DH[t] = 0;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, n, bs, 1.0f, X, f, DH, n, 0.0f, DW, n);
  for (int64_t t = 0; t < F * N; t++) DW[t] = (float)((double)DW[t] + (double)DWD[t]);
  napi_value out;
  CHECK(napi_create_double(env, loss / ((double)B * (double)F), &out));
  return out;
}
