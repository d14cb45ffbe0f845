{
  "targets": [
    {
      "target_name": "align_linalg",
      "sources": ["src/linalg.c", "src/sparse.c", "src/napi_args.c", "src/fold.c", "src/fold_host.c", "src/fold_napi.c", "src/loo.c", "src/toy.c", "src/sae.c"],
      "cflags": ["-O3", "-std=c11", "-fno-strict-aliasing", "-pthread"],
      "cflags!": ["-O2"],
      "libraries": ["-lopenblas", "-llapacke", "-lpthread"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"]
    }
  ]
}
