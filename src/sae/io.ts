/**
 * Save and load SAEs as .safetensors: tensors W_enc (d x m), b_enc (m), W_dec (m x d), b_dec (d), float32;
 * __metadata__: format = "brain-align/topk-sae", version, k, input_dim, latent_dim, preprocessing (JSON), and
 * the SAE's own metadata (e.g. "training": JSON of the resolved training settings, "metrics": JSON).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SaeValidationError } from './errors';
import { importSaeArchive, readWeightArchive, SAE_FORMAT } from './import';
import { validateSae, type TopKSae } from './model';
import { writeSafetensors } from '../io/safetensors';

/** Serialise an SAE to safetensors bytes. */
export function serialiseSae(sae: TopKSae): Uint8Array {
  validateSae(sae);
  const w = sae.weights;
  return writeSafetensors(
    {
      W_enc: { shape: [sae.inputDim, sae.latentDim], data: w.wEnc.data },
      b_enc: { shape: [sae.latentDim], data: w.bEnc },
      W_dec: { shape: [sae.latentDim, sae.inputDim], data: w.wDec.data },
      b_dec: { shape: [sae.inputDim], data: w.bDec },
    },
    {
      ...sae.metadata,
      format: SAE_FORMAT,
      version: '1',
      k: String(sae.k),
      input_dim: String(sae.inputDim),
      latent_dim: String(sae.latentDim),
      preprocessing: JSON.stringify(sae.preprocessing),
    },
  );
}

/** Parse bytes written by serialiseSae (requires the format metadata; use importSae for foreign files). */
export function deserialiseSae(bytes: Uint8Array): TopKSae {
  const archive = readWeightArchive(bytes, 'safetensors');
  if (archive.metadata.format !== SAE_FORMAT) {
    throw new SaeValidationError(
      'file',
      `not a ${SAE_FORMAT} file (metadata "format" is ${archive.metadata.format ?? 'missing'}); use importSae for foreign weights`,
    );
  }
  return importSaeArchive(archive, { orientation: 'math' });
}

export async function saveSae(path: string, sae: TopKSae): Promise<void> {
  await writeFile(path, serialiseSae(sae));
}

export async function loadSae(path: string): Promise<TopKSae> {
  return deserialiseSae(new Uint8Array(await readFile(path)));
}
