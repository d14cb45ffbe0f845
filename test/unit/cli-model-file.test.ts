/** The model file of `npm run cli -- models register`: local paths resolved beside it, bad files named by field. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../../src/cli/models';

async function modelFile(content: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'model-file-'));
  const file = path.join(dir, 'model.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('readModelFile', () => {
  it('resolves local files beside the model file and keeps server paths', async () => {
    const file = await modelFile({
      name: 'net',
      network: 'net.onnx',
      extractions: [{ dataset: 'nsd', subjects: ['subj01'], layers: [{ tensor: 't', name: 'l' }] }],
    });
    const m = await readModelFile(file);
    expect(m.network).toBe(path.join(path.dirname(file), 'net.onnx'));
    expect(m.extractions[0]).toMatchObject({ dataset: 'nsd', subjects: ['subj01'] });
    const layers = await readModelFile(
      await modelFile({
        name: 'net',
        layers: [{ name: 'a', activations: { path: '/data/a.npy' }, stimulusIds: { path: 'ids.json' } }],
      }),
    );
    expect(layers.layers[0].activations).toEqual({ path: '/data/a.npy' });
  });

  it('names what is wrong', async () => {
    await expect(readModelFile(await modelFile('{'))).rejects.toThrow(/not valid JSON/);
    await expect(readModelFile(await modelFile({ name: 'x' }))).rejects.toThrow(
      /layers \(activation files\) or a network/,
    );
    await expect(
      readModelFile(
        await modelFile({ name: 'x', layers: [{ name: 'a', activations: 'a.npy', stimulusIds: { path: 'i' } }] }),
      ),
    ).rejects.toThrow(/layers\.0: activations and stimulusIds must both be local files/);
    await expect(
      readModelFile(
        await modelFile({
          name: 'x',
          layers: [{ name: 'a', activations: 'a.npy', stimulusIds: 'i.npy' }],
          extractions: [{ dataset: 'nsd' }],
        }),
      ),
    ).rejects.toThrow(/extractions: extractions need a network/);
    await expect(
      readModelFile(await modelFile({ name: 'x', network: 'n.onnx', extractions: [{ subjects: ['subj01'] }] })),
    ).rejects.toThrow(/extractions\.0: name the dataset/);
  });
});
