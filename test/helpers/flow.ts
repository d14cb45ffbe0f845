/** Shared steps of the API flow tests: a synthetic NSD set registered with a model and its layers. */
import path from 'node:path';
import { writeSyntheticNsd, type SyntheticNsdOptions, type SyntheticNsdResult } from '../../src/nsd/synthetic';
import type { TestApp } from './app';

export interface RegisteredSet {
  syn: SyntheticNsdResult;
  datasetId: string;
  modelId: string;
  layerIds: string[];
}

export async function registerSyntheticSet(app: TestApp, name: string, opts: SyntheticNsdOptions = {}): Promise<RegisteredSet> {
  const syn = await writeSyntheticNsd(path.join(app.dataDir, name), { subjects: 1, formats: ['hdf5'], ...opts });
  const ds = await app.request('/v1/datasets', { method: 'POST', auth: true, json: { name, root: syn.root, manifestPath: syn.manifestPath } });
  if (ds.status !== 201) throw new Error(`dataset: ${ds.status} ${await ds.text()}`);
  const model = await app.request('/v1/models', { method: 'POST', auth: true, json: { name: `${name}-net` } });
  const modelId = (await model.json()).id;
  const layerIds: string[] = [];
  for (const l of syn.layers) {
    const res = await app.request(`/v1/models/${modelId}/layers`, { method: 'POST', auth: true, json: { name: l.name, activations: { path: l.activations }, stimulusIds: { path: l.stimulusIds } } });
    if (res.status !== 201) throw new Error(`layer: ${res.status} ${await res.text()}`);
    layerIds.push((await res.json()).id);
  }
  return { syn, datasetId: (await ds.json()).id, modelId, layerIds };
}

export async function waitForJob(app: TestApp, jobId: string, states = ['completed', 'failed', 'cancelled'], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await (await app.request(`/v1/jobs/${jobId}`)).json();
    if (states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Poll a study until it reaches a final state (succeeded, failed, cancelled); returns it. */
export async function waitForStudyEnd(app: TestApp, studyId: string, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await (await app.request(`/v1/studies/${studyId}`)).json();
    if (['succeeded', 'failed', 'cancelled'].includes(s.state)) return s;
    if (Date.now() > deadline) throw new Error(`study ${studyId} still ${s.state}: ${JSON.stringify(s.progress)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
