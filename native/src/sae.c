/*
 * Two inner pieces of a TopK SAE training step (src/sae), with the TypeScript functions' exact arithmetic
 * (float64 element arithmetic stored as float32, the same sgemm calls), so that results are identical:
 *  - topkRelu: per row the k largest pre-activations (ties -> lowest index), kept when > 0, ascending index
 *    order (forward.ts TopKRelu.run, topk.ts);
 *  - authorsAuxGradients: loss and gradients with the authors' AuxK (gradients.ts authorsAuxGradients).
 */
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "common.h"

/* Indices of the k largest of row[0..n) (ties -> lowest index), ascending, into out; k < n. */
static void topk_row(const float *row, int n, int k, int *out, float *vals) {
  int c = 0;
  for (int j = 0; j < n; j++) {
    const float v = row[j];
    if (c == k && !(v > vals[k - 1])) continue;
    int p = c < k ? c++ : k - 1;
    while (p > 0 && vals[p - 1] < v) {
      vals[p] = vals[p - 1];
      out[p] = out[p - 1];
      p--;
    }
    vals[p] = v;
    out[p] = j;
  }
  for (int i = 1; i < k; i++) {
    const int x = out[i];
    int p = i;
    while (p > 0 && out[p - 1] > x) out[p] = out[p - 1], p--;
    out[p] = x;
  }
}

/* topkRelu(pre, rows, m, k, idx, val, count): row r's selection in idx/val[r*k .. r*k + count[r]). */
napi_value js_topk_relu(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  typed_arg pre, idx, val, cnt;
  int64_t rows, m, k;
  if (argc < 7 || !get_typed(env, argv[0], &pre) || !get_i64(env, argv[1], &rows) || !get_i64(env, argv[2], &m) ||
      !get_i64(env, argv[3], &k) || !get_typed(env, argv[4], &idx) || !get_typed(env, argv[5], &val) || !get_typed(env, argv[6], &cnt) ||
      pre.type != napi_float32_array || idx.type != napi_int32_array || val.type != napi_float32_array || cnt.type != napi_int32_array ||
      rows < 0 || m < 1 || k < 1 || m > 1 << 24 || (int64_t)pre.length < rows * m || (int64_t)idx.length < rows * k ||
      (int64_t)val.length < rows * k || (int64_t)cnt.length < rows) {
    napi_throw_range_error(env, NULL, "topkRelu(pre, rows, m, k, idx, val, count): bad arguments or arrays too short");
    return NULL;
  }
  const float *P = pre.data;
  int32_t *IX = idx.data, *CN = cnt.data;
  float *V = val.data;
  const int kk = k < m ? (int)k : (int)m;
  int *sel = malloc(sizeof(int) * kk);
  float *vals = malloc(sizeof(float) * kk);
  if (!sel || !vals) {
    free(sel), free(vals);
    napi_throw_error(env, NULL, "topkRelu: out of memory");
    return NULL;
  }
  for (int64_t r = 0; r < rows; r++) {
    const float *row = P + r * m;
    if (kk < m) topk_row(row, (int)m, kk, sel, vals);
    else
      for (int j = 0; j < kk; j++) sel[j] = j;
    int64_t p = r * k;
    for (int i = 0; i < kk; i++) {
      const float v = row[sel[i]];
      if (v > 0) IX[p] = sel[i], V[p] = v, p++;
    }
    CN[r] = (int32_t)(p - r * k);
  }
  free(sel), free(vals);
  return NULL;
}

/*
 * authorsAuxGradients(x, rows, d, m, stride, idx, val, count, pre, dead, straightThrough, auxKWeight, denom,
 *   wDec, bDec, gWEncT, gBEnc, gWDec, gBDec, gx, ga, a, dPre) -> [loss, auxLoss]
 */
napi_value js_authors_aux_gradients(napi_env env, napi_callback_info info) {
  size_t argc = 23;
  napi_value argv[23];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  typed_arg x, idx, val, cnt, pre, dead, wDec, bDec, gE, gbE, gD, gbD, gx, ga, a, dPre;
  int64_t rows, d, m, stride;
  bool st;
  double auxW, denom;
  const napi_typedarray_type F32 = napi_float32_array;
  if (argc < 23 || !get_typed(env, argv[0], &x) || !get_i64(env, argv[1], &rows) || !get_i64(env, argv[2], &d) ||
      !get_i64(env, argv[3], &m) || !get_i64(env, argv[4], &stride) || !get_typed(env, argv[5], &idx) || !get_typed(env, argv[6], &val) ||
      !get_typed(env, argv[7], &cnt) || !get_typed(env, argv[8], &pre) || !get_typed(env, argv[9], &dead) || !get_bool(env, argv[10], &st) ||
      napi_get_value_double(env, argv[11], &auxW) != napi_ok || napi_get_value_double(env, argv[12], &denom) != napi_ok ||
      !get_typed(env, argv[13], &wDec) || !get_typed(env, argv[14], &bDec) || !get_typed(env, argv[15], &gE) ||
      !get_typed(env, argv[16], &gbE) || !get_typed(env, argv[17], &gD) || !get_typed(env, argv[18], &gbD) ||
      !get_typed(env, argv[19], &gx) || !get_typed(env, argv[20], &ga) || !get_typed(env, argv[21], &a) || !get_typed(env, argv[22], &dPre) ||
      x.type != F32 || val.type != F32 || pre.type != F32 || wDec.type != F32 || bDec.type != F32 || gE.type != F32 || gbE.type != F32 ||
      gD.type != F32 || gbD.type != F32 || gx.type != F32 || ga.type != F32 || a.type != F32 || dPre.type != F32 ||
      idx.type != napi_int32_array || cnt.type != napi_int32_array || dead.type != napi_uint8_array || rows < 1 || d < 1 || m < 1 ||
      stride < 1 || rows > INT32_MAX / (m > d ? m : d) || (int64_t)x.length < rows * d || (int64_t)idx.length < rows * stride ||
      (int64_t)val.length < rows * stride || (int64_t)cnt.length < rows || (int64_t)pre.length < rows * m || (int64_t)dead.length < m ||
      (int64_t)wDec.length < m * d || (int64_t)bDec.length < d || (int64_t)gE.length < m * d || (int64_t)gbE.length < m ||
      (int64_t)gD.length < m * d || (int64_t)gbD.length < d || (int64_t)gx.length < rows * d || (int64_t)ga.length < rows * d ||
      (int64_t)a.length < rows * m || (int64_t)dPre.length < rows * m) {
    napi_throw_range_error(env, NULL, "authorsAuxGradients: bad arguments or arrays too short");
    return NULL;
  }
  const float *X = x.data, *Vl = val.data, *PR = pre.data, *WD = wDec.data, *BD = bDec.data;
  const int32_t *IX = idx.data, *CN = cnt.data;
  const uint8_t *DE = dead.data;
  float *GE = gE.data, *GBE = gbE.data, *GD = gD.data, *GBD = gbD.data, *GX = gx.data, *GA = ga.data, *A = a.data, *DP = dPre.data;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t q = r * stride; q < r * stride + CN[r]; q++)
      if (IX[q] < 0 || IX[q] >= m) {
        napi_throw_range_error(env, NULL, "authorsAuxGradients: latent index out of range");
        return NULL;
      }
  const int R = (int)rows, D = (int)d, M = (int)m;
  double loss = 0;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t xr = r * d;
    for (int64_t i = 0; i < d; i++) GX[xr + i] = (float)((double)BD[i] - (double)X[xr + i]);
    for (int64_t q = r * stride; q < r * stride + CN[r]; q++) {
      const double v = Vl[q];
      const float *w = WD + (int64_t)IX[q] * d;
      for (int64_t i = 0; i < d; i++) GX[xr + i] = (float)((double)GX[xr + i] + v * (double)w[i]);
    }
    for (int64_t i = 0; i < d; i++) loss += (double)GX[xr + i] * (double)GX[xr + i];
  }
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < m; j++) A[r * m + j] = DE[j] ? PR[r * m + j] : 0;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, D, M, 1.0f, A, M, WD, D, 0.0f, GA, D);
  double auxLoss = 0;
  const double cMain = 2 / denom, cAux = (2 * auxW) / denom;
  for (int64_t i = 0; i < d; i++) GBD[i] = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t i = 0, q = r * d; i < d; i++, q++) {
      const double ea = (double)GA[q] + (double)BD[i] + (double)GX[q];
      auxLoss += ea * ea;
      const double a2 = cAux * ea;
      GA[q] = (float)a2;
      GX[q] = (float)(cMain * (double)GX[q] + a2);
      GBD[i] = (float)((double)GBD[i] + ((double)GX[q] + a2));
    }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, D, R, 1.0f, A, M, GA, D, 0.0f, GD, D);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, M, D, 1.0f, GA, D, WD, D, 0.0f, DP, M);
  if (!st)
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < m; j++)
        if (!DE[j]) DP[r * m + j] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t gr = r * d;
    for (int64_t q = r * stride; q < r * stride + CN[r]; q++) {
      const int64_t j = IX[q];
      const double v = Vl[q];
      const int64_t w = j * d;
      double dz = 0;
      for (int64_t i = 0; i < d; i++) {
        dz += (double)GX[gr + i] * (double)WD[w + i];
        GD[w + i] = (float)((double)GD[w + i] + v * (double)GX[gr + i]);
      }
      DP[r * m + j] = (float)((double)DP[r * m + j] + dz);
    }
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, D, R, 1.0f, DP, M, X, D, 0.0f, GE, D);
  for (int64_t j = 0; j < m; j++) GBE[j] = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < m; j++) GBE[j] = (float)((double)GBE[j] + (double)DP[r * m + j]);
  napi_value out, l0, l1;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, loss / denom, &l0));
  CHECK(napi_create_double(env, auxLoss / denom, &l1));
  CHECK(napi_set_element(env, out, 0, l0));
  CHECK(napi_set_element(env, out, 1, l1));
  return out;
}
