/**
 * Extraction against torch: torchvision resnet18 and a small ViT (seeded random weights) exported to ONNX; the
 * service's preprocessing, tapping and pooling must give what torch forward hooks give on the same images
 * (test/fixtures/networks/generate.py), every tapped layer within 1e-4 relative (max |diff| / max |torch|).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { inspectOnnxGraph, withGraphOutputs } from '../../src/extract/onnx-graph';
import { planTaps } from '../../src/extract/plan';
import type { Pooling } from '../../src/extract/pooling';
import { extractActivations } from '../../src/extract/run';
import { readNpy } from '../../src/io/npy';
import { type NetworkFixture, networkFixture } from '../helpers/network-fixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'extract-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

async function extractFixture(fx: NetworkFixture, batchSize: number) {
  const imgs = fx.images();
  const one = imgs.height * imgs.width * 3;
  const ids = Array.from({ length: imgs.n }, (_, i) => 1000 + i);
  const outFiles = fx.layers.map((l) => path.join(tmp, `${fx.net}-${batchSize}-${l.name}.npy`));
  const done: number[] = [];
  const shapes = await extractActivations({
    model: fx.model(),
    taps: fx.layers.map((l) => ({ tensor: l.tensor, pooling: l.pooling as Pooling })),
    preprocessing: fx.preprocessing,
    nsdIds: ids,
    images: async (want) => ({
      data: imgs.data.slice((want[0] - 1000) * one, (want[want.length - 1] - 1000 + 1) * one),
      height: imgs.height,
      width: imgs.width,
    }),
    outFiles,
    batchSize,
    progress: (p) => done.push(p.done),
  });
  return { shapes, outFiles, done };
}

for (const net of ['vit', 'resnet18'] as const) {
  const fx = networkFixture(net);
  describe.skipIf(typeof fx === 'string')(
    `${net} against torch forward hooks${typeof fx === 'string' ? ` (skipped: ${fx})` : ''}`,
    () => {
      const f = fx as NetworkFixture;
      it('every tapped layer matches within 1e-4 relative, in batches that do not divide the images', async () => {
        const { shapes, outFiles, done } = await extractFixture(f, 4);
        expect(done[done.length - 1]).toBe(f.images().n);
        f.layers.forEach((l, i) => {
          const want = f.expected(l.name);
          const got = readNpy(readFileSync(outFiles[i]));
          expect(got.shape, l.name).toEqual([want.rows, want.cols]);
          expect(shapes[i].dims.slice(1), l.name).toEqual(l.shape.slice(1));
          expect(relativeError(got.data as Float32Array, want.data), l.name).toBeLessThan(1e-4);
        });
      });
    },
  );
}

describe('extractActivations', () => {
  it('stops between batches when its signal is aborted', async () => {
    const fx = networkFixture('vit') as NetworkFixture;
    const imgs = fx.images();
    const controller = new AbortController();
    const seen: number[] = [];
    const run = extractActivations({
      model: fx.model(),
      taps: [{ tensor: fx.layers[0].tensor, pooling: 'mean' }],
      preprocessing: fx.preprocessing,
      nsdIds: [0, 1, 2, 3, 4],
      images: async (ids) => {
        seen.push(...ids);
        controller.abort();
        return {
          data: imgs.data.slice(0, ids.length * imgs.height * imgs.width * 3),
          height: imgs.height,
          width: imgs.width,
        };
      },
      outFiles: [path.join(tmp, 'aborted.npy')],
      batchSize: 2,
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1]);
  });
});

describe('the ONNX graph edit', () => {
  const fx = networkFixture('vit') as NetworkFixture;
  it('lists the tensors and adds intermediate ones as outputs', () => {
    const model = fx.model();
    const info = inspectOnnxGraph(model);
    expect(info.inputs).toEqual([{ name: 'input', dims: ['batch', 3, 32, 32] }]);
    expect(info.outputs).toEqual(['output']);
    const edited = inspectOnnxGraph(withGraphOutputs(model, [fx.layers[0].tensor, 'output']));
    expect(edited.outputs).toEqual(['output', fx.layers[0].tensor]);
    expect(edited.tensors).toEqual(info.tensors);
  });

  it('refuses an unknown tensor naming the field and listing the available ones', () => {
    let err: unknown;
    try {
      planTaps(
        fx.model(),
        [
          { tensor: fx.layers[0].tensor, pooling: 'mean' },
          { tensor: 'nope', pooling: 'mean' },
        ],
        'body.',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const e = (err as ValidationError).errors;
    expect(e).toHaveLength(1);
    expect(e[0].field).toBe('body.layers[1].tensor');
    expect(e[0].reason).toContain('no tensor "nope"');
    expect(e[0].reason).toContain(fx.layers[0].tensor);
  });

  it('refuses bytes that are not an ONNX model', () => {
    expect(() => planTaps(new TextEncoder().encode('not a model at all'), [], 'body.')).toThrow(ValidationError);
  });
});
