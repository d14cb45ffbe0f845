// Shared helpers for the NSD tests: paths into test/fixtures/nsd and .npy loading.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../src/io/npy';

export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/nsd');
export const TREE = path.join(FIXTURE_DIR, 'tree');
export const BETAS_DIR = path.join(TREE, 'nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR');

export function npy(name: string) {
  return readNpy(readFileSync(path.join(FIXTURE_DIR, name)));
}

export function fixtureManifest(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'manifest.json'), 'utf8'));
}

export function expectedJson(): any {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'expected.json'), 'utf8'));
}

/** max |a - b| / (1 + |b|) */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return m;
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by cleanupTempDirs (call it from afterAll). */
export function makeTempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
