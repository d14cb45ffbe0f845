/** Shared steps of the API flow tests: a synthetic NSD set registered with a model and its layers. */
import { copyFile, cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeSyntheticNsd, type SyntheticNsdOptions, type SyntheticNsdResult } from '../../src/nsd/synthetic';
import { expect } from 'vitest';
import type { TestApp } from './app';

export interface RegisteredSet {
  syn: SyntheticNsdResult;
  datasetId: string;
  modelId: string;
  layerIds: string[];
}

export async function registerSyntheticSet(
  app: TestApp,
  name: string,
  opts: SyntheticNsdOptions = {},
): Promise<RegisteredSet> {
  const syn = await writeSyntheticNsd(path.join(app.dataDir, name), { subjects: 1, formats: ['hdf5'], ...opts });
  const ds = await app.request('/v1/datasets', {
    method: 'POST',
    auth: true,
    json: { name, root: syn.root, manifestPath: syn.manifestPath },
  });
  if (ds.status !== 201) throw new Error(`dataset: ${ds.status} ${await ds.text()}`);
  const model = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: `${name}-net` } });
  const modelId = (await model.json()).id;
  const layerIds: string[] = [];
  for (const l of syn.layers) {
    const res = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: l.name, activations: { path: l.activations }, stimulusIds: { path: l.stimulusIds } },
    });
    if (res.status !== 201) throw new Error(`layer: ${res.status} ${await res.text()}`);
    layerIds.push((await res.json()).id);
  }
  return { syn, datasetId: (await ds.json()).id, modelId, layerIds };
}

export async function waitForJob(
  app: TestApp,
  jobId: string,
  states = ['completed', 'failed', 'cancelled'],
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await (await app.request(`/v1/jobs/${jobId}`)).json();
    if (states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Train an SAE on a layer (POST /v1/layers/{id}/saes) and wait for its job; fails the test unless it completes. */
export async function trainSaeAndWait(app: TestApp, layerId: string, settings: object): Promise<string> {
  const sae = await (
    await app.request(`/v1/layers/${layerId}/saes`, { method: 'POST', auth: true, json: settings })
  ).json();
  expect((await waitForJob(app, sae.jobId)).state).toBe('completed');
  return sae.id;
}

/**
 * The NSD fixture tree (test/fixtures/nsd/tree) and the reference layer of test/fixtures/alignment registered as
 * dataset "fixture" and model "ref-net" layer "ref" (what gen_reference.py and its siblings compute on).
 */
export async function registerAlignmentFixture(app: TestApp): Promise<{ datasetId: string; layerId: string }> {
  const FIX = 'test/fixtures/alignment';
  await cp('test/fixtures/nsd/tree', path.join(app.dataDir, 'tree'), { recursive: true });
  await copyFile(`${FIX}/layer.npy`, path.join(app.dataDir, 'layer.npy'));
  await copyFile(`${FIX}/layer_ids.npy`, path.join(app.dataDir, 'layer_ids.npy'));
  const manifest = JSON.parse(await readFile('test/fixtures/nsd/manifest.json', 'utf8'));
  const ds = await (
    await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'fixture', root: path.join(app.dataDir, 'tree'), manifest },
    })
  ).json();
  const model = await (
    await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'ref-net' } })
  ).json();
  const layer = await (
    await app.request(`/v1/models/${model.id}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'ref', activations: { path: 'layer.npy' }, stimulusIds: { path: 'layer_ids.npy' } },
    })
  ).json();
  return { datasetId: ds.id, layerId: layer.id };
}

/** Poll a study until it is succeeded, failed or cancelled. */
export async function waitForStudy(app: TestApp, id: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await (await app.request(`/v1/studies/${id}`)).json();
    if (['succeeded', 'failed', 'cancelled'].includes(s.state)) return s;
    if (Date.now() > deadline) throw new Error(`study ${id} still ${s.state}: ${JSON.stringify(s.progress)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
