/**
 * Networks: a model's ONNX network, given by path inside the data roots or uploaded, kept in the artefact store by
 * content hash (Model.networkKey = "sha256:<hex>.onnx"). The file is checked before it is kept: an ONNX graph with one
 * N x 3 x H x W image input. Extractions (services/extractions.ts) run it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { notifyResultsChanged } from '../db/notify';
import { ConflictError, DataValidationError, NotFoundError, ValidationError } from '../errors';
import { inspectOnnxGraph, type OnnxInput } from '../extract/onnx-graph';
import { planTaps } from '../extract/plan';
import { resolveDataPath } from '../nsd/paths';
import { artefactStore } from './artefacts';
import type { UploadedFile } from './layers';

export interface NetworkView {
  modelId: string;
  key: string;
  name: string;
  inputs: OnnxInput[];
  outputs: string[];
  /** Every tensor a node produces, in graph order: the names a layer of an extraction may tap. */
  tensors: string[];
}

function viewOf(modelId: string, key: string, name: string, bytes: Uint8Array): NetworkView {
  return { modelId, key, name, ...inspectOnnxGraph(bytes) };
}

/** Check a network file; a bad one is a 400 naming `field`. */
async function checkedNetwork(file: string, field: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    throw new DataValidationError(field, `cannot read the network file (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    planTaps(bytes, [], '');
  } catch (err) {
    if (err instanceof ValidationError) throw new DataValidationError(field, err.errors[0].reason);
    throw err;
  }
  return bytes;
}

async function requireModel(prisma: Db, modelId: string): Promise<void> {
  const model = await prisma.model.findUnique({ where: { id: modelId }, select: { id: true } });
  if (!model) throw new NotFoundError('model', modelId);
}

async function attach(prisma: Db, modelId: string, key: string, name: string, bytes: Uint8Array) {
  await prisma.model.update({ where: { id: modelId }, data: { networkKey: key, networkName: name } });
  await notifyResultsChanged(prisma);
  return viewOf(modelId, key, name, bytes);
}

/** Give a model the ONNX network at `file` (inside the data roots; relative: from the first root). */
export async function attachNetworkFromPath(
  prisma: Db,
  config: Pick<Config, 'dataRoots' | 'storeDir'>,
  modelId: string,
  file: string,
): Promise<NetworkView> {
  await requireModel(prisma, modelId);
  const resolved = resolveDataPath(config.dataRoots[0], file, config.dataRoots, 'body.path');
  const bytes = await checkedNetwork(resolved, 'body.path');
  const key = await artefactStore(config).putFile(resolved, '.onnx', { keep: true });
  return attach(prisma, modelId, key, path.basename(file), bytes);
}

/** Give a model an uploaded ONNX network (moved into the artefact store). */
export async function attachUploadedNetwork(
  prisma: Db,
  config: Pick<Config, 'storeDir'>,
  modelId: string,
  upload: UploadedFile,
): Promise<NetworkView> {
  await requireModel(prisma, modelId);
  const bytes = await checkedNetwork(upload.file, 'body.network');
  const key = await artefactStore(config).putFile(upload.file, '.onnx');
  return attach(prisma, modelId, key, path.basename(upload.originalName) || 'network.onnx', bytes);
}

/** A model's network bytes (hash checked) with its key, or a 409 when it has none. */
export async function networkBytes(prisma: Db, config: Pick<Config, 'storeDir'>, modelId: string, field: string) {
  const model = await prisma.model.findUnique({ where: { id: modelId } });
  if (!model) throw new NotFoundError('model', modelId);
  if (!model.networkKey)
    throw new ConflictError(`model ${modelId} has no network: give it one first (PUT /v1/models/${modelId}/network)`, [
      { field, reason: 'the model has no network' },
    ]);
  const bytes = await artefactStore(config).readBytes(model.networkKey, 'model.network');
  return { key: model.networkKey, name: model.networkName ?? 'network.onnx', bytes };
}

export async function getNetwork(prisma: Db, config: Pick<Config, 'storeDir'>, modelId: string): Promise<NetworkView> {
  const n = await networkBytes(prisma, config, modelId, 'params.id');
  return viewOf(modelId, n.key, n.name, n.bytes);
}
