// Build the self-contained GPU device check (bench/gpu/README.md): the GPU machine has no Node, no network and
// no OpenBLAS, so the folder carries them, under 64 MiB in all:
//   node.gz (or node.xz)                 this Node binary (process.execPath), compressed
//   app/bench/gpu/check.mjs              bench/gpu/check.ts and everything it imports, one file (esbuild)
//   native/build/Release/align_linalg.node, native/cuda/build/Release/align_cuda.node   the addons, at the
//                                        paths the bundled code resolves relative to itself
//   lib/*.gz                             the addon's shared libraries (OpenBLAS, LAPACKE, gfortran ...)
//   lib-fallback/*.gz                    libstdc++/libgcc_s, used only if the machine's are missing
//   run.sh                               unpacks and runs check.mjs (pass --dry-run to try it without a GPU)
// Usage: node bench/gpu/bundle.mjs [--out DIR] [--fast (gzip -1)] [--xz (node as xz -6: ~12 MB smaller, minutes)]
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = path.resolve(opt('--out') ?? path.join(root, 'bench', 'gpu', 'out'));
const level = args.includes('--fast') ? 1 : 9;
const LIMIT = 64 * 1024 * 1024;
const ADDONS = ['native/build/Release/align_linalg.node', 'native/cuda/build/Release/align_cuda.node'];
/** Provided by every Linux machine (glibc); never bundled. */
const SYSTEM = /^(libc|libm|libdl|libpthread|librt|ld-linux[^ ]*|linux-vdso)\.so/;
const FALLBACK = /^(libstdc\+\+|libgcc_s)\.so/;

function gz(src, dst) {
  writeFileSync(dst, gzipSync(readFileSync(src), { level }));
}

/** Shared libraries `file` links to, as [soname, resolved path]. */
function linked(file) {
  const text = execFileSync('ldd', [file], { encoding: 'utf8' });
  const libs = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+) => (\/\S+)/.exec(line);
    if (m) libs.push([m[1], realpathSync(m[2])]);
  }
  return libs;
}

function size(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? size(p) : statSync(p).size;
  }
  return total;
}

async function main() {
  for (const a of ADDONS) {
    if (!existsSync(path.join(root, a))) throw new Error(`${a} is missing: run node scripts/build-native.mjs first`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'lib'), { recursive: true });
  mkdirSync(path.join(out, 'lib-fallback'), { recursive: true });
  await build({
    entryPoints: [path.join(root, 'bench', 'gpu', 'check.ts')],
    outfile: path.join(out, 'app', 'bench', 'gpu', 'check.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'error',
    // Optional rungs of the tensor backend ladder stay out (absent there as here); CommonJS dependencies
    // get a require() in the ES module.
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '*.node'],
    banner: {
      js: "import { createRequire as __alignCreateRequire } from 'node:module'; const require = __alignCreateRequire(import.meta.url);",
    },
  });
  for (const a of ADDONS) {
    mkdirSync(path.dirname(path.join(out, a)), { recursive: true });
    copyFileSync(path.join(root, a), path.join(out, a));
  }
  const seen = new Set();
  for (const [name, file] of [...linked(path.join(root, ADDONS[0])), ...linked(process.execPath)]) {
    if (SYSTEM.test(name) || seen.has(name)) continue;
    seen.add(name);
    gz(file, path.join(out, FALLBACK.test(name) ? 'lib-fallback' : 'lib', `${name}.gz`));
  }
  if (args.includes('--xz')) {
    writeFileSync(
      path.join(out, 'node.xz'),
      execFileSync('xz', ['-6', '-T0', '-c', process.execPath], { maxBuffer: 1 << 30 }),
    );
  } else {
    gz(process.execPath, path.join(out, 'node.gz'));
  }
  copyFileSync(path.join(root, 'bench', 'gpu', 'run.sh'), path.join(out, 'run.sh'));
  chmodSync(path.join(out, 'run.sh'), 0o755);
  const total = size(out);
  console.log(
    JSON.stringify({ bundle: out, bytes: total, mib: Number((total / 2 ** 20).toFixed(1)), underLimit: total < LIMIT }),
  );
  if (total >= LIMIT) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bundle: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
