/* Shared helpers for the align_linalg N-API addon. */
#ifndef ALIGN_COMMON_H
#define ALIGN_COMMON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, NULL, "align_linalg: N-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

/* Typed-array argument: data pointer, element count and element type. */
typedef struct {
  void *data;
  size_t length;
  napi_typedarray_type type;
} typed_arg;

bool get_typed(napi_env env, napi_value v, typed_arg *out);
bool get_i64(napi_env env, napi_value v, int64_t *out);
bool get_bool(napi_env env, napi_value v, bool *out);
int align_threads(void);

/* Sparse kernels (sparse.c), exported by linalg.c's module init. */
napi_value js_csr_matmul_dense(napi_env env, napi_callback_info info);
napi_value js_dense_matmul_csrt(napi_env env, napi_callback_info info);
napi_value js_csr_matmul_csrt(napi_env env, napi_callback_info info);
napi_value js_csr_gram_cols(napi_env env, napi_callback_info info);
/* The ridge fold on host BLAS (fold_host.c). */
napi_value js_ridge_fold_host(napi_env env, napi_callback_info info);
/* The shared-alpha LOO alpha loop (loo.c). */
napi_value js_loo_weighted_gram(napi_env env, napi_callback_info info);
/* One toy-model gradient evaluation on CSR rows (toy.c). */
napi_value js_toy_model_gradients(napi_env env, napi_callback_info info);
/* TopK SAE step pieces (sae.c). */
napi_value js_topk_relu(napi_env env, napi_callback_info info);
napi_value js_authors_aux_gradients(napi_env env, napi_callback_info info);
#endif
