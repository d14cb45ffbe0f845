/**
 * The network fixtures of test/fixtures/networks: the small ViT is committed; resnet18 (45 MB of ONNX) is made by
 * the same generator when absent, into a cache folder keyed by the generator's hash, with Debian's python3-torch and
 * python3-torchvision (installed by .ci/run). Without them the resnet18 checks are skipped, saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../src/io/npy';

export const NETWORK_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/networks');
const GENERATOR = path.join(NETWORK_FIXTURES, 'generate.py');
/** Debian's python3 (where apt installs python3-torch), unless ALIGN_TEST_PYTHON names another. */
const PYTHON = process.env.ALIGN_TEST_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export interface NetworkFixture {
  dir: string;
  net: string;
  preprocessing: { resize: number; crop: number; mean: number[]; std: number[] };
  layers: { name: string; tensor: string; pooling: string; module: string; shape: number[] }[];
  model(): Uint8Array;
  /** uint8 N x H x W x 3. */
  images(): { data: Uint8Array; n: number; height: number; width: number };
  expected(layer: string): { data: Float32Array; rows: number; cols: number };
}

function load(dir: string, net: string): NetworkFixture {
  const meta = JSON.parse(readFileSync(path.join(dir, `${net}.json`), 'utf8'));
  const npy = (name: string) => readNpy(readFileSync(path.join(dir, `${net}-${name}.npy`)));
  return {
    dir,
    net,
    ...meta,
    model: () => new Uint8Array(readFileSync(path.join(dir, `${net}.onnx`))),
    images() {
      const a = npy('images');
      return { data: a.data as Uint8Array, n: a.shape[0], height: a.shape[1], width: a.shape[2] };
    },
    expected(layer) {
      const a = npy(layer);
      return { data: a.data as Float32Array, rows: a.shape[0], cols: a.shape[1] };
    },
  };
}

/** Why torch cannot make fixtures here, or null when it can. */
function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} is not installed`;
  return r.status === 0 ? null : `${PYTHON} lacks torch/torchvision (apt install python3-torch python3-torchvision)`;
}

/** A committed fixture (vit), or one generated into the cache (resnet18); a string says why it cannot be had. */
export function networkFixture(net: 'vit' | 'resnet18'): NetworkFixture | string {
  if (existsSync(path.join(NETWORK_FIXTURES, `${net}.json`))) return load(NETWORK_FIXTURES, net);
  const hash = createHash('sha256')
    .update(readFileSync(GENERATOR))
    .update(readFileSync(path.join(NETWORK_FIXTURES, 'onnx_names.py')))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(os.tmpdir(), 'brain-align-network-fixtures', `${net}-${hash}`);
  if (existsSync(path.join(dir, `${net}.json`))) return load(dir, net);
  const why = torchMissing();
  if (why) return why;
  const tmp = `${dir}.${process.pid}.tmp`;
  mkdirSync(tmp, { recursive: true });
  execFileSync(PYTHON, [GENERATOR, tmp, net], { stdio: 'ignore', timeout: 600_000 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return load(dir, net);
}
