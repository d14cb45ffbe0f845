/**
 * Issue 10 item 12: the service's private folders (embedded database, uploads, SAE weights) are never
 * inside a readable data root, and no error quotes the bytes of a file it could not use.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy';
import { ConfigError, loadConfig } from '../../src/config';
import { startTestApp, type TestApp } from '../helpers/app';

// Short: V8's JSON.parse messages quote the first ten characters or so of the text.
const SECRET = 'Zq7Sec9';
let app: TestApp;
let modelId: string;
let layerId: string;

beforeAll(async () => {
  app = await startTestApp();
  modelId = (await (await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'm' } })).json()).id;
  await writeFile(path.join(app.dataDir, 'acts.npy'), writeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]));
  await writeFile(path.join(app.dataDir, 'ids.npy'), writeNpy(Int32Array.from([10, 11, 12]), [3]));
  const layer = await app.request(`/v1/models/${modelId}/layers`, {
    method: 'POST',
    auth: true,
    json: { name: 'l', activations: { path: 'acts.npy' }, stimulusIds: { path: 'ids.npy' } },
  });
  expect(layer.status).toBe(201);
  layerId = (await layer.json()).id;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('private folders are outside every readable root', () => {
  it('defaults the data roots to <dataDir>/datasets and refuses roots holding the database, uploads or SAE weights', () => {
    const dataDir = path.join(app.serviceDir, 'elsewhere');
    expect(loadConfig({ ALIGN_DATA_DIR: dataDir }).dataRoots).toEqual([path.join(dataDir, 'datasets')]);
    for (const roots of [
      dataDir,
      path.join(dataDir, 'pg'),
      path.join(dataDir, 'pg', 'global'),
      `/tmp${path.delimiter}${path.join(dataDir, 'uploads')}`,
      path.join(dataDir, 'saes'),
      path.join(dataDir, 'store', 'sha256'),
      '/',
    ]) {
      expect(() => loadConfig({ ALIGN_DATA_DIR: dataDir, ALIGN_DATA_ROOTS: roots }), roots).toThrow(ConfigError);
    }
    // The artefact store: ALIGN_DATA_DIR/store unless set; a shared store inside a data root is refused too.
    expect(loadConfig({ ALIGN_DATA_DIR: dataDir }).storeDir).toBe(path.join(dataDir, 'store'));
    expect(loadConfig({ ALIGN_DATA_DIR: dataDir, ALIGN_STORE_DIR: '/shared/store' }).storeDir).toBe('/shared/store');
    expect(() =>
      loadConfig({ ALIGN_DATA_DIR: dataDir, ALIGN_STORE_DIR: '/shared/store', ALIGN_DATA_ROOTS: '/shared' }),
    ).toThrow(/artefact store/);
    expect(() => loadConfig({ ALIGN_DATA_DIR: dataDir, ALIGN_DATA_ROOTS: dataDir })).toThrow(/database/);
  });

  it('refuses manifests, activations and SAE imports inside the database folder, quoting nothing', async () => {
    const pg = path.join(app.serviceDir, 'pg');
    await mkdir(path.join(pg, 'global'), { recursive: true });
    await writeFile(path.join(pg, 'pg_hba.conf'), `local all all trust # ${SECRET}\n`);
    await writeFile(path.join(pg, 'global', 'pg_control'), Buffer.from(`\x93NUMPY\x01\x00${SECRET}`, 'latin1'));
    const ds = await app.request('/v1/datasets', {
      method: 'POST',
      auth: true,
      json: { name: 'pg', root: app.dataDir, manifestPath: path.join(pg, 'pg_hba.conf') },
    });
    expect(ds.status).toBe(400);
    const dsBody = await ds.text();
    expect(JSON.parse(dsBody).type).toBe('/problems/path-outside-roots');
    expect(dsBody).not.toContain(SECRET);
    const sae = await app.request(`/v1/layers/${layerId}/saes`, {
      method: 'POST',
      auth: true,
      json: { weights: { path: path.join(pg, 'global', 'pg_control') } },
    });
    expect(sae.status).toBe(400);
    expect(await sae.text()).not.toContain(SECRET);
    const act = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: {
        name: 'pg',
        activations: { path: path.join(pg, 'global', 'pg_control') },
        stimulusIds: { path: 'ids.npy' },
      },
    });
    expect(act.status).toBe(400);
    expect(await act.text()).not.toContain(SECRET);
  });

  it('refuses registering a layer by path inside the uploads folder', async () => {
    const up = path.join(app.serviceDir, 'uploads', 'someone');
    await mkdir(up, { recursive: true });
    await writeFile(path.join(up, 'a.npy'), writeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]));
    const res = await app.request(`/v1/models/${modelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'up', activations: { path: path.join(up, 'a.npy') }, stimulusIds: { path: 'ids.npy' } },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).type).toBe('/problems/path-outside-roots');
  });
});

describe('errors never quote file contents', () => {
  const post = (url: string, json: unknown) => app.request(url, { method: 'POST', auth: true, json });
  async function expectNoSecret(res: Response) {
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(text).not.toContain(SECRET);
  }

  it('manifest files that are not JSON', async () => {
    await writeFile(path.join(app.dataDir, 'm.json'), `${SECRET} is not json`);
    await expectNoSecret(
      await post('/v1/datasets', { name: 'm', root: app.dataDir, manifestPath: path.join(app.dataDir, 'm.json') }),
    );
    await writeFile(path.join(app.dataDir, 'm2.json'), `{"a": 1, ${SECRET}}`);
    await expectNoSecret(
      await post('/v1/datasets', { name: 'm2', root: app.dataDir, manifestPath: path.join(app.dataDir, 'm2.json') }),
    );
  });

  it('activation and stimulus-id files', async () => {
    const layer = (act: string, ids: string) =>
      post(`/v1/models/${modelId}/layers`, {
        name: `x${act}${ids}`.replace(/\W/g, ''),
        activations: { path: act },
        stimulusIds: { path: ids },
      });
    // An .npy whose header is not a Python dict literal, and one with a bogus dtype and shape.
    const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hdr = (text: string) => {
      const body = Buffer.from(`${text.padEnd(118, ' ')}\n`, 'latin1');
      const len = Buffer.alloc(2);
      len.writeUInt16LE(body.length);
      return Buffer.concat([magic, len, body]);
    };
    await writeFile(path.join(app.dataDir, 'h1.npy'), hdr(`${SECRET} garbage`));
    await writeFile(
      path.join(app.dataDir, 'h2.npy'),
      hdr(`{'descr': '${SECRET}', 'fortran_order': False, 'shape': (3, 2), }`),
    );
    await writeFile(
      path.join(app.dataDir, 'h3.npy'),
      hdr(`{'descr': '<f4', 'fortran_order': False, 'shape': (3, ${SECRET}), }`),
    );
    for (const f of ['h1.npy', 'h2.npy', 'h3.npy']) await expectNoSecret(await layer(f, 'ids.npy'));
    await writeFile(path.join(app.dataDir, 'ids.csv'), `${SECRET},other\n1,2\n`);
    await writeFile(path.join(app.dataDir, 'ids2.csv'), `nsdId\n${SECRET}\n`);
    await writeFile(path.join(app.dataDir, 'ids.json'), `[1, 2, ${SECRET}]`);
    await writeFile(path.join(app.dataDir, 'ids2.json'), `["${SECRET}", 1, 2]`);
    for (const f of ['ids.csv', 'ids2.csv', 'ids.json', 'ids2.json']) await expectNoSecret(await layer('acts.npy', f));
  });

  it('SAE weight files', async () => {
    await writeFile(path.join(app.dataDir, 'w.npz'), `${SECRET} not a zip`);
    const header = Buffer.from(JSON.stringify({ W_enc: { dtype: SECRET, shape: [1], data_offsets: [0, 4] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await writeFile(path.join(app.dataDir, 'w.safetensors'), Buffer.concat([len, header, Buffer.alloc(4)]));
    for (const f of ['w.npz', 'w.safetensors'])
      await expectNoSecret(await post(`/v1/layers/${layerId}/saes`, { weights: { path: f } }));
  });
});
