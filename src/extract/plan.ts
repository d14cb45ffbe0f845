/**
 * Checking an extraction request against its network before any work: the taps name tensors the graph produces
 * (an unknown name is answered with the available ones), the network takes one N x 3 x H x W image input whose fixed
 * sides (if any) match the preprocessed size, and each pooling fits (checked on the first batch, once shapes are
 * known).
 */
import { ValidationError, type FieldError } from '../errors';
import { inspectOnnxGraph, OnnxFormatError, type OnnxInput } from './onnx-graph';
import type { ImagePreprocessing } from './preprocess';
import type { Pooling } from './pooling';

export interface Tap {
  /** ONNX tensor name (a node's output). */
  tensor: string;
  pooling: Pooling;
}

export interface NetworkInput {
  name: string;
  /** The batch size the graph fixes (null: free). */
  fixedBatch: number | null;
  /** Fixed input height and width (null: free). */
  height: number | null;
  width: number | null;
}

/** At most this many tensor names are listed in an error. */
const LISTED = 300;

function listTensors(tensors: string[]): string {
  const shown = tensors.slice(0, LISTED).join(', ');
  return tensors.length > LISTED ? `${shown} and ${tensors.length - LISTED} more` : shown;
}

function imageInput(inputs: OnnxInput[], field: string): NetworkInput {
  if (inputs.length !== 1)
    throw ValidationError.of(
      field,
      `the network has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); one image input is needed`,
    );
  const [input] = inputs;
  const dims = input.dims;
  if (dims.length !== 4 || (typeof dims[1] === 'number' && dims[1] !== 3))
    throw ValidationError.of(
      field,
      `the network's input "${input.name}" has shape [${dims.join(', ')}]; N x 3 x H x W is needed`,
    );
  const fixed = (d: number | string) => (typeof d === 'number' && d > 0 ? d : null);
  return { name: input.name, fixedBatch: fixed(dims[0]), height: fixed(dims[2]), width: fixed(dims[3]) };
}

/** The network's image input, after checking that every tap names a tensor of the graph. */
export function planTaps(model: Uint8Array, taps: readonly Tap[], field: string): NetworkInput {
  let info: ReturnType<typeof inspectOnnxGraph>;
  try {
    info = inspectOnnxGraph(model);
  } catch (err) {
    if (err instanceof OnnxFormatError) throw ValidationError.of(`${field}network`, err.message);
    throw err;
  }
  const known = new Set(info.tensors);
  const errors: FieldError[] = [];
  taps.forEach((t, i) => {
    if (!known.has(t.tensor))
      errors.push({
        field: `${field}layers[${i}].tensor`,
        reason: `the network has no tensor "${t.tensor}"; its tensors: ${listTensors(info.tensors)}`,
      });
  });
  if (errors.length) throw new ValidationError(errors);
  return imageInput(info.inputs, `${field}network`);
}

/** The preprocessed size must be what a fixed-size input takes. */
export function checkInputSize(input: NetworkInput, size: [number, number], p: ImagePreprocessing, field: string) {
  if ((input.height !== null && input.height !== size[0]) || (input.width !== null && input.width !== size[1]))
    throw ValidationError.of(
      `${field}preprocessing`,
      `resize ${p.resize} and crop ${p.crop} give ${size[0]} x ${size[1]} images; the network takes ${input.height} x ${input.width}`,
    );
}
