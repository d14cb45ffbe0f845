/*
 * ridgeFold(spec) for both addons: parses the fold from JavaScript, runs ridge_fold with the given ops and
 * returns { errors (groups x alphas), best (Int32Array, per group), rank, form, path, chunks, yhat, seconds }.
 * spec = { train, test, y, targets, alphas, form, groups?: Int32Array of end offsets, stackBytes? }
 * with a design = { rows, cols, dense?: Float32Array | Float64Array, indptr?, indices?, values?, u?, w? }.
 * Every length and CSR index is checked here: the GPU would otherwise write out of bounds.
 */
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "fold.h"

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

static bool prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return false;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return false;
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  return t != napi_undefined && t != napi_null;
}

static bool prop_i64(napi_env env, napi_value obj, const char *name, int64_t *out) {
  napi_value v;
  return prop(env, obj, name, &v) && get_i64(env, v, out);
}

static bool prop_typed(napi_env env, napi_value obj, const char *name, typed_arg *out) {
  napi_value v;
  return prop(env, obj, name, &v) && get_typed(env, v, out);
}

static const char *parse_design(napi_env env, napi_value obj, fold_design *d) {
  typed_arg a;
  memset(d, 0, sizeof(*d));
  if (!prop_i64(env, obj, "rows", &d->rows) || !prop_i64(env, obj, "cols", &d->cols) || d->rows < 1 || d->cols < 1)
    return "design: rows and cols must be positive integers";
  if (prop_typed(env, obj, "dense", &a)) {
    if (a.type != napi_float32_array && a.type != napi_float64_array) return "design.dense must be Float32Array or Float64Array";
    if ((int64_t)a.length != d->rows * d->cols) return "design.dense length != rows x cols";
    d->dense = a.data;
    d->dense_f32 = a.type == napi_float32_array;
  } else {
    typed_arg ip, ix, vals;
    if (!prop_typed(env, obj, "indptr", &ip) || !prop_typed(env, obj, "indices", &ix) || !prop_typed(env, obj, "values", &vals) ||
        ip.type != napi_int32_array || ix.type != napi_int32_array || vals.type != napi_float32_array)
      return "design: dense, or indptr/indices (Int32Array) and values (Float32Array)";
    if ((int64_t)ip.length != d->rows + 1) return "design.indptr length != rows + 1";
    const int32_t *p = ip.data, *idx = ix.data;
    if (p[0] != 0) return "design.indptr[0] != 0";
    for (int64_t i = 0; i < d->rows; i++)
      if (p[i + 1] < p[i]) return "design.indptr is not non-decreasing";
    if ((int64_t)ix.length < p[d->rows] || (int64_t)vals.length < p[d->rows]) return "design.indices/values shorter than indptr[rows]";
    for (int64_t t = 0; t < p[d->rows]; t++)
      if (idx[t] < 0 || idx[t] >= d->cols) return "design.indices: column index out of range";
    d->indptr = p, d->indices = idx, d->values = vals.data;
  }
  if (prop_typed(env, obj, "u", &a)) {
    if (a.type != napi_float64_array || (int64_t)a.length != d->rows) return "design.u must be a Float64Array of length rows";
    d->u = a.data;
  }
  if (prop_typed(env, obj, "w", &a)) {
    if (a.type != napi_float64_array || (int64_t)a.length != d->cols) return "design.w must be a Float64Array of length cols";
    d->w = a.data;
  }
  return NULL;
}

static napi_value number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

napi_value fold_napi_call(napi_env env, napi_callback_info info, const fold_ops *ops) {
  size_t argc = 1;
  napi_value spec, tr, te;
  if (napi_get_cb_info(env, info, &argc, &spec, NULL, NULL) != napi_ok || argc < 1) return throw_range(env, "ridgeFold(spec)");
  fold_input in;
  memset(&in, 0, sizeof(in));
  const char *err;
  if (!prop(env, spec, "train", &tr) || !prop(env, spec, "test", &te)) return throw_range(env, "ridgeFold: spec.train and spec.test are required");
  if ((err = parse_design(env, tr, &in.train)) || (err = parse_design(env, te, &in.test))) return throw_range(env, err);
  typed_arg y, al;
  int64_t form = 0;
  if (!prop_typed(env, spec, "y", &y) || (y.type != napi_float32_array && y.type != napi_float64_array) ||
      !prop_i64(env, spec, "targets", &in.v) || in.v < 1 || (int64_t)y.length != in.train.rows * in.v)
    return throw_range(env, "ridgeFold: y (Float32Array or Float64Array, rows x targets) and targets are required");
  if (!prop_typed(env, spec, "alphas", &al) || al.type != napi_float64_array || al.length < 1 || al.length > 4096)
    return throw_range(env, "ridgeFold: alphas must be a non-empty Float64Array");
  for (size_t k = 0; k < al.length; k++)
    if (!(((double *)al.data)[k] > 0)) return throw_range(env, "ridgeFold: alphas must be positive");
  prop_i64(env, spec, "form", &form);
  typed_arg gr;
  if (prop_typed(env, spec, "groups", &gr)) {
    if (gr.type != napi_int32_array || gr.length < 1 || gr.length > 1000000)
      return throw_range(env, "ridgeFold: groups must be a non-empty Int32Array of group end offsets");
    const int32_t *e = gr.data;
    for (size_t g = 0; g < gr.length; g++)
      if (e[g] <= (g ? e[g - 1] : 0)) return throw_range(env, "ridgeFold: groups must be strictly increasing end offsets (no empty group)");
    if (e[gr.length - 1] != in.v) return throw_range(env, "ridgeFold: the last group must end at targets");
    in.group_ends = e, in.n_groups = (int)gr.length;
  }
  napi_value sb;
  if (prop(env, spec, "stackBytes", &sb) && napi_get_value_double(env, sb, &in.stack_bytes) != napi_ok)
    return throw_range(env, "ridgeFold: stackBytes must be a number");
  const size_t ng = in.n_groups > 0 ? (size_t)in.n_groups : 1;
  in.y = y.data, in.y_f32 = y.type == napi_float32_array;
  in.alphas = al.data, in.n_alphas = (int)al.length, in.form = (int)form;

  napi_value errors_ab, yhat_ab, best_ab, errors, yhat, best, result, seconds;
  void *errors_data, *yhat_data, *best_data;
  CHECK(napi_create_arraybuffer(env, sizeof(double) * al.length * ng, &errors_data, &errors_ab));
  CHECK(napi_create_arraybuffer(env, sizeof(int32_t) * ng, &best_data, &best_ab));
  CHECK(napi_create_arraybuffer(env, sizeof(float) * (size_t)(in.test.rows * in.v), &yhat_data, &yhat_ab));
  fold_output out;
  memset(&out, 0, sizeof(out));
  out.errors = errors_data, out.yhat = yhat_data, out.best = best_data;
  if (ridge_fold(ops, &in, &out) != 0) {
    napi_throw_error(env, NULL, out.err[0] ? out.err : "ridgeFold failed");
    return NULL;
  }
  CHECK(napi_create_typedarray(env, napi_float64_array, al.length * ng, errors_ab, 0, &errors));
  CHECK(napi_create_typedarray(env, napi_int32_array, ng, best_ab, 0, &best));
  CHECK(napi_create_typedarray(env, napi_float32_array, (size_t)(in.test.rows * in.v), yhat_ab, 0, &yhat));
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_object(env, &seconds));
  static const char *stages[6] = {"upload", "gram", "eigh", "basis", "alphaSearch", "predict"};
  for (int i = 0; i < 6; i++) CHECK(napi_set_named_property(env, seconds, stages[i], number(env, out.seconds[i])));
  napi_value s_form, s_path;
  CHECK(napi_create_string_utf8(env, out.form == 1 ? "primal" : "dual", NAPI_AUTO_LENGTH, &s_form));
  CHECK(napi_create_string_utf8(env, out.path == 1 ? "weighted-gram" : "direct", NAPI_AUTO_LENGTH, &s_path));
  CHECK(napi_set_named_property(env, result, "errors", errors));
  CHECK(napi_set_named_property(env, result, "best", best));
  CHECK(napi_set_named_property(env, result, "chunks", number(env, out.chunks)));
  CHECK(napi_set_named_property(env, result, "rank", number(env, out.rank)));
  CHECK(napi_set_named_property(env, result, "form", s_form));
  CHECK(napi_set_named_property(env, result, "path", s_path));
  CHECK(napi_set_named_property(env, result, "yhat", yhat));
  CHECK(napi_set_named_property(env, result, "seconds", seconds));
  return result;
}
