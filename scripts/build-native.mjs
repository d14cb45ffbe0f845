// Postinstall: build the optional native addons. native/ (align_linalg, N-API over OpenBLAS + LAPACKE) when
// the Debian headers (libopenblas-dev, liblapacke-dev) are present; native/cuda/ (align_cuda, the GPU path)
// always: it needs no CUDA headers or libraries at build time (it opens them at run time). Never fails the
// install: any missing piece or build error prints one line and exits 0 (the TypeScript/tfjs paths are used
// then). ALIGN_NATIVE=0 skips both builds. ALIGN_NATIVE_VERBOSE=1 shows the compiler output.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const say = (msg) => console.log(`build-native: ${msg}`);

function findHeader(names) {
  return names.find((p) => existsSync(p));
}

/** node-gyp: npm's own (npm_config_node_gyp), npm's bundled copy next to the npm binary, then PATH. */
function findNodeGyp() {
  const cands = [];
  if (process.env.npm_config_node_gyp) cands.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    cands.push(
      path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  try {
    const npmBin = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
    if (npmBin) {
      const real = realpathSync(npmBin);
      cands.push(path.join(path.dirname(real), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    }
  } catch {
    /* no npm on PATH */
  }
  cands.push(
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  for (const c of cands) if (c && existsSync(c)) return { cmd: process.execPath, pre: [c] };
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' }).trim();
    if (onPath) return { cmd: onPath, pre: [] };
  } catch {
    /* not on PATH */
  }
  return null;
}

/** Directory holding include/node/node_api.h (offline: never let node-gyp download headers). */
function findNodeDir() {
  const cands = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return cands.find((d) => d && existsSync(path.join(d, 'include', 'node', 'node_api.h')));
}

/** node-gyp rebuild in `dir`; returns an error line or null. */
function build(gyp, nodedir, dir) {
  const verbose = process.env.ALIGN_NATIVE_VERBOSE === '1';
  const res = spawnSync(gyp.cmd, [...gyp.pre, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: dir,
    stdio: verbose ? 'inherit' : 'pipe',
    encoding: 'utf8',
  });
  if (res.status === 0) return null;
  const tail = `${res.stderr ?? ''}${res.stdout ?? ''}`
    .trim()
    .split('\n')
    .filter((l) => /error/i.test(l))
    .slice(-1)[0];
  return tail ? tail.trim() : `exit ${res.status}`;
}

function main() {
  if (process.env.ALIGN_NATIVE === '0') return say('skipped (ALIGN_NATIVE=0)');
  const gyp = findNodeGyp();
  if (!gyp) return say('skipped (node-gyp not found)');
  const nodedir = findNodeDir();
  if (!nodedir) return say('skipped (Node headers include/node/node_api.h not found)');
  const cblas = findHeader([
    '/usr/include/x86_64-linux-gnu/cblas.h',
    '/usr/include/aarch64-linux-gnu/cblas.h',
    '/usr/include/cblas.h',
    '/usr/include/openblas/cblas.h',
  ]);
  const lapacke = findHeader([
    '/usr/include/lapacke.h',
    '/usr/include/x86_64-linux-gnu/lapacke.h',
    '/usr/include/openblas/lapacke.h',
  ]);
  if (!cblas || !lapacke)
    say('align_linalg skipped (cblas.h / lapacke.h not found; apt-get install libopenblas-dev liblapacke-dev)');
  else {
    const err = build(gyp, nodedir, nativeDir);
    say(
      err
        ? `align_linalg build failed, using the TypeScript fallback (${err})`
        : 'built native/build/Release/align_linalg.node (OpenBLAS + LAPACKE)',
    );
  }
  const cudaErr = build(gyp, nodedir, path.join(nativeDir, 'cuda'));
  say(
    cudaErr
      ? `align_cuda build failed, no GPU path (${cudaErr})`
      : 'built native/cuda/build/Release/align_cuda.node (CUDA libraries opened at run time)',
  );
}

try {
  main();
} catch (err) {
  say(`skipped (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
}
process.exit(0);
