/**
 * The compute backend chosen in one place (src/compute/backend.ts): settings read once through config.ts, one
 * resolution of each operation's implementation, the run-time switches, and the configuration a compute thread
 * receives instead of reading the environment.
 */
import { describe, expect, it } from 'vitest';
import {
  blasFor,
  computeBackend,
  computeThreadConfig,
  CUDA_GEMM_MIN_FLOPS,
  gemmImpl,
  setTfjsEnabled,
} from '../../src/compute/backend';
import { nativeAvailable, setCudaEnabled, setNativeEnabled } from '../../src/compute/linalg/index';
import { computeSettingsFromEnv, loadCliConfig } from '../../src/config';

describe('compute settings from the environment (config.ts)', () => {
  it('reads ALIGN_BACKEND, ALIGN_NATIVE, ALIGN_EIG and the CUDA variables', () => {
    const s = computeSettingsFromEnv({
      ALIGN_BACKEND: 'wasm',
      ALIGN_NATIVE: '0',
      ALIGN_EIG: 'ts',
      ALIGN_CUDA: '0',
      ALIGN_CUDA_LIB_DIRS: '/a:/b',
      VIRTUAL_ENV: '/venv',
    });
    expect(s).toEqual({
      tensor: 'wasm',
      native: false,
      eig: 'ts',
      cuda: { mode: 'off', libDirs: ['/a', '/b'], pythonPrefixes: ['/venv'] },
    });
  });

  it('reads an invalid value as its default, each variable alone (loadConfig reports it at start)', () => {
    const s = computeSettingsFromEnv({ ALIGN_NATIVE: '0', ALIGN_CUDA: 'maybe', ALIGN_BACKEND: 'gpu' });
    expect(s).toMatchObject({ native: false, eig: 'auto', cuda: { mode: 'auto' } });
    expect(s.tensor).toBeUndefined();
  });

  it('gives the command line its address and key', () => {
    expect(loadCliConfig({})).toEqual({ url: 'http://127.0.0.1:8080' });
    expect(loadCliConfig({ ALIGN_URL: 'http://h:1', ALIGN_ADMIN_KEY: 'admin', ALIGN_API_KEY: 'k' })).toEqual({
      url: 'http://h:1',
      apiKey: 'k',
    });
    expect(loadCliConfig({ ALIGN_ADMIN_KEY: 'admin' }).apiKey).toBe('admin');
  });
});

describe('the resolved backend', () => {
  it('follows the run-time switches and resolves again only when one changes', () => {
    const prev = [setNativeEnabled(true), setCudaEnabled(false), setTfjsEnabled(false)];
    try {
      const first = computeBackend();
      expect(computeBackend()).toBe(first);
      expect(first.gemm).toBe(nativeAvailable() ? 'native' : 'ts');
      setNativeEnabled(false);
      expect(computeBackend()).not.toBe(first);
      expect(computeBackend()).toMatchObject({ gemm: 'ts', cpuGemm: 'ts', syrk: 'ts', csr: 'ts', foldEngine: 'ts' });
      expect(gemmImpl(CUDA_GEMM_MIN_FLOPS)).toBe('ts');
      expect(blasFor(1)).toBeNull();
    } finally {
      setNativeEnabled(prev[0]);
      setCudaEnabled(prev[1]);
      setTfjsEnabled(prev[2]);
    }
  });

  it('hands a compute thread plain settings (structured-cloneable), not the environment', () => {
    const cfg = computeThreadConfig();
    expect(structuredClone(cfg)).toEqual(cfg);
    expect(cfg.settings).toHaveProperty('native');
    expect(cfg.settings).toHaveProperty('cuda.mode');
  });
});
