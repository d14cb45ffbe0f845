/**
 * The few parts of an ONNX ModelProto that extraction needs, read and edited with a minimal protobuf walk (the
 * wire format's varints and length-delimited fields; no protobuf library): the graph's inputs with their shapes,
 * its outputs, the tensors its nodes produce (what can be tapped), and a copy of the model with more graph outputs.
 * onnxruntime returns only graph outputs, so an intermediate tensor is tapped by naming it as one: a
 * ValueInfoProto with the name alone (onnxruntime infers its type and shape).
 *
 * Field numbers (onnx.proto3): ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11, output = 12;
 * NodeProto.output = 2; ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1; Tensor.shape = 2;
 * TensorShapeProto.dim = 1; Dimension.dim_value = 1, dim_param = 2; TensorProto.name = 8.
 */

interface Field {
  num: number;
  wire: number;
  /** Varint value (wire type 0). */
  value: number;
  /** Bytes of a length-delimited field (wire type 2). */
  bytes: Uint8Array;
  /** [start, end) of the whole field, key included, in the message. */
  start: number;
  end: number;
}

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

function readVarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  let i = at;
  for (;;) {
    if (i >= b.length) throw new OnnxFormatError('not an ONNX model (truncated varint)');
    const c = b[i++];
    v += (c & 0x7f) * mul;
    mul *= 128;
    if (c < 0x80) return [v, i];
    if (i - at > 10) throw new OnnxFormatError('not an ONNX model (bad varint)');
  }
}

function skipLength(wire: number): number {
  if (wire === 1) return 8;
  if (wire === 5) return 4;
  throw new OnnxFormatError(`not an ONNX model (protobuf wire type ${wire})`);
}

/** The fields of one message, in order. */
function* fields(b: Uint8Array): Generator<Field> {
  let i = 0;
  while (i < b.length) {
    const start = i;
    const [key, j] = readVarint(b, i);
    const num = Math.floor(key / 8);
    const wire = key & 7;
    let value = 0;
    let bytes = b.subarray(0, 0);
    if (wire === 0) [value, i] = readVarint(b, j);
    else if (wire === 2) {
      const [n, k] = readVarint(b, j);
      if (k + n > b.length) throw new OnnxFormatError('not an ONNX model (field runs past the end)');
      bytes = b.subarray(k, k + n);
      i = k + n;
    } else i = j + skipLength(wire);
    yield { num, wire, value, bytes, start, end: i };
  }
}

const utf8 = new TextDecoder();
const text = (b: Uint8Array) => utf8.decode(b);

function firstField(b: Uint8Array, num: number): Field | undefined {
  for (const f of fields(b)) if (f.num === num && f.wire === 2) return f;
  return undefined;
}

/** A graph input: its name and dimensions (a number, or the symbolic name of a free one such as "batch"). */
export interface OnnxInput {
  name: string;
  dims: (number | string)[];
}

export interface OnnxGraphInfo {
  /** Inputs that are not initializers (the ones a caller feeds). */
  inputs: OnnxInput[];
  outputs: string[];
  /** Every tensor a node produces, in graph order (graph outputs included): what can be tapped. */
  tensors: string[];
}

function valueInfo(b: Uint8Array): OnnxInput {
  let name = '';
  const dims: (number | string)[] = [];
  for (const f of fields(b)) {
    if (f.num === 1 && f.wire === 2) name = text(f.bytes);
    if (f.num !== 2 || f.wire !== 2) continue;
    const shape = firstField(firstField(f.bytes, 1)?.bytes ?? new Uint8Array(), 2)?.bytes;
    for (const d of fields(shape ?? new Uint8Array())) {
      if (d.num !== 1 || d.wire !== 2) continue;
      let dim: number | string = '?';
      for (const x of fields(d.bytes)) dim = x.num === 1 && x.wire === 0 ? x.value : x.num === 2 ? text(x.bytes) : dim;
      dims.push(dim);
    }
  }
  return { name, dims };
}

function graphOf(model: Uint8Array): Field {
  const graph = firstField(model, 7);
  if (!graph) throw new OnnxFormatError('not an ONNX model (no graph)');
  return graph;
}

/** Inputs, outputs and tappable tensors of a model's graph. */
export function inspectOnnxGraph(model: Uint8Array): OnnxGraphInfo {
  const graph = graphOf(model).bytes;
  const initializers = new Set<string>();
  const inputs: OnnxInput[] = [];
  const outputs: string[] = [];
  const tensors: string[] = [];
  for (const f of fields(graph)) {
    if (f.wire !== 2) continue;
    if (f.num === 1) for (const o of fields(f.bytes)) if (o.num === 2 && o.wire === 2) tensors.push(text(o.bytes));
    if (f.num === 5) initializers.add(text(firstField(f.bytes, 8)?.bytes ?? new Uint8Array()));
    if (f.num === 11) inputs.push(valueInfo(f.bytes));
    if (f.num === 12) outputs.push(valueInfo(f.bytes).name);
  }
  if (tensors.length === 0) throw new OnnxFormatError('not an ONNX model (the graph has no nodes)');
  return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs, tensors: tensors.filter(Boolean) };
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited field: key, length, bytes. */
function delimited(num: number, bytes: Uint8Array): Uint8Array {
  const head = [...varint(num * 8 + 2), ...varint(bytes.length)];
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A copy of the model whose graph also outputs `names` (those already outputs are not added twice). */
export function withGraphOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  const graph = graphOf(model);
  const have = new Set(inspectOnnxGraph(model).outputs);
  const extra = [...new Set(names)]
    .filter((n) => !have.has(n))
    .map((n) => delimited(12, delimited(1, new TextEncoder().encode(n))));
  if (extra.length === 0) return model;
  const newGraph = delimited(7, concat([graph.bytes, ...extra]));
  return concat([model.subarray(0, graph.start), newGraph, model.subarray(graph.end)]);
}
