/**
 * Running a network over stimuli: images are read in batches through a StimulusImageReader, preprocessed, fed to
 * onnxruntime (CPU, `threads` intra-op threads) with the tapped tensors added as graph outputs, pooled, and
 * appended to one float32 .npy file per tap. Memory is bounded by one batch: the whole tensor of all images is never
 * held. Cancellable between batches.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { throwIfAborted, ValidationError } from '../errors';
import { npyHeader } from '../io';
import type { ProgressFn } from '../progress';
import { withGraphOutputs } from './onnx-graph';
import { checkInputSize, planTaps, type Tap } from './plan';
import { pooledWidth, poolTensor } from './pooling';
import { inputSize, type ImagePreprocessing, preprocessImages } from './preprocess';

/** HWC uint8 RGB images of the given nsdIds, one after another, all of one size. */
export interface StimulusImages {
  data: Uint8Array;
  height: number;
  width: number;
}

/** Where images come from: the dataset's stimulus file, or anything else that gives them by nsdId. */
export type StimulusImageReader = (nsdIds: readonly number[]) => Promise<StimulusImages>;

export interface ExtractionOptions {
  /** The ONNX model's bytes. */
  model: Uint8Array;
  taps: readonly Tap[];
  preprocessing: ImagePreprocessing;
  nsdIds: readonly number[];
  images: StimulusImageReader;
  /** One output .npy per tap (n images x pooled width, float32). */
  outFiles: readonly string[];
  batchSize?: number;
  /** onnxruntime intra-op threads (default 2). */
  threads?: number;
  signal?: AbortSignal;
  progress?: ProgressFn;
}

export interface ExtractedTap {
  file: string;
  /** Shape of the tapped tensor for one batch (first dimension: the batch). */
  dims: number[];
  width: number;
}

/** A float32 n x width .npy written row block by row block. */
class NpyRows {
  private fh: FileHandle | null = null;
  constructor(
    readonly file: string,
    private readonly rows: number,
  ) {}

  async append(data: Float32Array, width: number): Promise<void> {
    if (!this.fh) {
      this.fh = await open(this.file, 'w');
      await this.fh.write(npyHeader('<f4', [this.rows, width]));
    }
    await this.fh.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }
}

export async function createSession(model: Uint8Array, threads: number) {
  return InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

/** A last short batch filled up to a graph's fixed batch size with copies of its last image (their rows dropped). */
function padToBatch(imgs: StimulusImages, n: number, fixed: number | null): StimulusImages & { count: number } {
  if (fixed === null || n >= fixed) return { ...imgs, count: n };
  const one = imgs.height * imgs.width * 3;
  const data = new Uint8Array(fixed * one);
  data.set(imgs.data.subarray(0, n * one));
  for (let i = n; i < fixed; i++) data.copyWithin(i * one, (n - 1) * one, n * one);
  return { ...imgs, data, count: fixed };
}

/** Pool one batch's outputs and append them; the first batch fixes (and checks) every tap's shape. */
async function writeBatch(
  outputs: InferenceSession.OnnxValueMapType,
  taps: readonly Tap[],
  writers: NpyRows[],
  shapes: ExtractedTap[],
  rows: number,
): Promise<void> {
  for (let t = 0; t < taps.length; t++) {
    const out = outputs[taps[t].tensor] as Tensor;
    const dims = out.dims.map(Number);
    if (!shapes[t]) {
      const width = pooledWidth(dims, taps[t].pooling);
      if (typeof width === 'string')
        throw ValidationError.of(`body.layers[${t}].pooling`, `tensor "${taps[t].tensor}" ${width}`);
      shapes[t] = { file: writers[t].file, dims, width };
    }
    const pooled = poolTensor(out.data as Float32Array, dims, taps[t].pooling);
    await writers[t].append(pooled.data.subarray(0, rows * pooled.width), pooled.width);
  }
}

/** Run the network over `nsdIds` in batches and write one pooled .npy per tap. */
export async function extractActivations(opts: ExtractionOptions): Promise<ExtractedTap[]> {
  const input = planTaps(opts.model, opts.taps, 'body.');
  const session = await createSession(
    withGraphOutputs(
      opts.model,
      opts.taps.map((t) => t.tensor),
    ),
    opts.threads ?? 2,
  );
  const batch = input.fixedBatch ?? Math.max(1, opts.batchSize ?? 16);
  const writers = opts.outFiles.map((f) => new NpyRows(f, opts.nsdIds.length));
  const shapes: ExtractedTap[] = [];
  const fetches = [...new Set(opts.taps.map((t) => t.tensor))];
  const total = opts.nsdIds.length;
  try {
    for (let from = 0; from < total; from += batch) {
      throwIfAborted(opts.signal);
      opts.progress?.({ stage: 'extracting activations', done: from, total });
      const ids = opts.nsdIds.slice(from, from + batch);
      const imgs = padToBatch(await opts.images(ids), ids.length, input.fixedBatch);
      const size = inputSize(imgs.height, imgs.width, opts.preprocessing);
      if (from === 0) checkInputSize(input, size, opts.preprocessing, 'body.');
      const x = preprocessImages(imgs.data, imgs.count, imgs.height, imgs.width, opts.preprocessing);
      const feed = new Tensor('float32', x.data, [...x.dims]);
      const outputs = await session.run({ [input.name]: feed }, fetches);
      await writeBatch(outputs, opts.taps, writers, shapes, ids.length);
      for (const v of Object.values(outputs)) (v as Tensor).dispose?.();
    }
    opts.progress?.({ stage: 'extracting activations', done: total, total });
  } finally {
    await Promise.all(writers.map((w) => w.close()));
    await session.release();
  }
  return shapes;
}
