#!/bin/sh
# GPU device check, run from the bundle folder made by bench/gpu/bundle.mjs (see bench/gpu/README.md).
# Unpacks Node and the shared libraries into a work folder, points ALIGN_CUDA_LIB_DIRS at the machine's CUDA
# libraries (Python wheels under site-packages/nvidia, CUDA installs), prints nvidia-smi's view, then runs
# check.mjs: one JSON line per case. Arguments go to check.mjs (--dry-run: small sizes, no GPU needed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${ALIGN_GPU_WORK:-${TMPDIR:-/tmp}/align-gpu-check}
mkdir -p "$work/lib" "$work/lib-fallback"

unpack() { # unpack SRC DST: .gz or .xz, with python3 as the fallback decompressor
  case "$1" in
    *.xz) xz -dc "$1" > "$2" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2" ;;
    *) gzip -dc "$1" > "$2" ;;
  esac
}

if [ -f "$here/node.xz" ]; then unpack "$here/node.xz" "$work/node"; else unpack "$here/node.gz" "$work/node"; fi
chmod +x "$work/node"
for f in "$here"/lib/*.gz; do [ -e "$f" ] && unpack "$f" "$work/lib/$(basename "$f" .gz)"; done
for f in "$here"/lib-fallback/*.gz; do [ -e "$f" ] && unpack "$f" "$work/lib-fallback/$(basename "$f" .gz)"; done
LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
if ldd "$work/node" 2>/dev/null | grep -q 'not found'; then
  LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$work/lib-fallback"
fi

# The CUDA libraries: NVIDIA's Python wheels first (torch/cupy environments), then any libcublas on disk.
if [ -z "${ALIGN_CUDA_LIB_DIRS:-}" ]; then
  dirs=""
  for py in python3 python; do
    if command -v "$py" >/dev/null 2>&1; then
      d=$("$py" - <<'PY' 2>/dev/null || true
import os
try:
    import nvidia
    for p in nvidia.__path__:
        for name in sorted(os.listdir(p)):
            lib = os.path.join(p, name, "lib")
            if os.path.isdir(lib):
                print(lib)
except Exception:
    pass
PY
)
      [ -n "$d" ] && dirs="$dirs $d"
    fi
  done
  [ -n "$dirs" ] || for f in $(find /usr /opt /root /home -maxdepth 9 \( -name 'libcublas.so.1[23]' -o -name 'libcusolver.so.1[12]' \) 2>/dev/null | head -20); do
    dirs="$dirs $(dirname "$f")"
  done
  ALIGN_CUDA_LIB_DIRS=$(echo $dirs | tr ' ' '\n' | awk 'NF && !seen[$0]++' | paste -sd: -)
  export ALIGN_CUDA_LIB_DIRS
fi
line="{\"case\":\"env\",\"ALIGN_CUDA_LIB_DIRS\":\"${ALIGN_CUDA_LIB_DIRS:-}\",\"glibc\":\"$(ldd --version 2>/dev/null | head -1 | tr -d '"\\\\')\",\"nvidiaSmi\":\"$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)\"}"
echo "$line"
# On the device tool's machine $OUT comes back to the caller: keep the lines there too.
if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
  echo "$line" >> "$OUT/gpu-check.jsonl"
  "$work/node" "$here/app/bench/gpu/check.mjs" "$@" | tee -a "$OUT/gpu-check.jsonl"
else
  exec "$work/node" "$here/app/bench/gpu/check.mjs" "$@"
fi
