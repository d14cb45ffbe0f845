{
  "targets": [
    {
      "target_name": "align_cuda",
      "sources": ["../src/cuda.c", "../src/fold.c", "../src/fold_napi.c", "../src/napi_args.c"],
      "cflags": ["-O2", "-std=c11", "-fno-strict-aliasing", "-Wall"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
