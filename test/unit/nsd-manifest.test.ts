import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { nsdManifestSchema, parseNsdManifest, atlasLabels } from '../../src/nsd/manifest';
import { syntheticManifest } from '../../src/nsd/synthetic';
import { fillTemplate } from '../../src/nsd/paths';
import { DataValidationError } from '../../src/errors';

const MANIFESTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data-manifests');
const load = (n: string) => JSON.parse(readFileSync(path.join(MANIFESTS, n), 'utf8'));

describe('NSD manifests', () => {
  it('the shipped NSD manifest parses and yields the real paths', () => {
    const m = parseNsdManifest(load('nsd.json'));
    expect(m.betas.format).toBe('hdf5');
    const values = { subject: 'subj01', space: m.space, version: m.betas.version, session: '07', hemi: 'lh.' };
    expect(fillTemplate(m.betas.hdf5!, values, 'x')).toBe(
      'nsddata_betas/ppdata/subj01/func1pt8mm/betas_fithrf_GLMdenoise_RR/betas_session07.hdf5',
    );
    expect(fillTemplate(m.atlases[0].file, values, 'x')).toBe(
      'nsddata/ppdata/subj01/func1pt8mm/roi/lh.prf-visualrois.nii.gz',
    );
    expect(m.atlases.map((a) => a.name)).toEqual([
      'prf-visualrois',
      'streams',
      'floc-faces',
      'floc-bodies',
      'floc-places',
      'floc-words',
      'nsdgeneral',
      'Kastner2015',
    ]);
    expect(atlasLabels(m.atlases[0])).toEqual({ 1: 'V1v', 2: 'V1d', 3: 'V2v', 4: 'V2d', 5: 'V3v', 6: 'V3d', 7: 'hV4' });
    expect(atlasLabels(m.atlases[1])['7']).toBe('parietal');
    expect(atlasLabels(m.atlases[7])['17']).toBe('V3A');
    expect(atlasLabels(m.atlases[5])['2']).toBe('VWFA-1');
  });

  it('the shipped synthetic manifest is what the writer writes', () => {
    expect(parseNsdManifest(load('synthetic-nsd.json'))).toEqual(
      parseNsdManifest(syntheticManifest(['hdf5', 'nifti'], 750)),
    );
  });

  it('bad manifests name the field', () => {
    const cases: [(m: any) => void, string][] = [
      [(m) => (m.atlases[0].file = 3), 'manifest.atlases[0].file'],
      [(m) => (m.space = 'func2mm'), 'manifest.space'],
      [(m) => delete m.betas.hdf5, 'manifest.betas.hdf5'],
      [(m) => (m.atlases[1].name = 'prf-visualrois'), 'manifest.atlases[1].name'],
      [(m) => (m.atlases[1].name = 'custom'), 'manifest.atlases[1].labels'],
      [(m) => (m.atlases[0].labels = { '0': 'x' }), 'manifest.atlases[0].labels.0'],
    ];
    for (const [mutate, field] of cases) {
      const m = load('nsd.json');
      mutate(m);
      let e: any;
      try {
        parseNsdManifest(m);
      } catch (x) {
        e = x;
      }
      expect(e, field).toBeInstanceOf(DataValidationError);
      expect(e.field).toBe(field);
    }
    expect(() => fillTemplate('{subject}/{sesion}', { subject: 's' }, 'manifest.betas.hdf5')).toThrow(
      DataValidationError,
    );
  });

  it('the schema carries descriptions for OpenAPI', () => {
    const js = z.toJSONSchema(nsdManifestSchema, { io: 'input' }) as any;
    expect(js.properties.betas.properties.format.description).toMatch(/format/i);
    expect(js.properties.atlases.description).toBe('ROI atlases');
  });
});

describe('roiGroups', () => {
  it("the shipped NSD manifest declares the paper's ROI set over labels its atlases have", () => {
    const m = parseNsdManifest(JSON.parse(readFileSync(path.join(MANIFESTS, 'nsd.json'), 'utf8')));
    expect(m.roiGroups.map((g) => g.name)).toEqual(['V1v', 'V2v', 'V3v', 'hV4', 'FFA', 'ventral']);
    expect(m.roiGroups.find((g) => g.name === 'FFA')!.members).toEqual(['floc-faces/FFA-1', 'floc-faces/FFA-2']);
    for (const g of m.roiGroups) {
      for (const ref of g.members) {
        const [atlasName, label] = ref.split('/');
        const atlas = m.atlases.find((a) => a.name === atlasName);
        expect(atlas, ref).toBeDefined();
        expect(Object.values(atlasLabels(atlas!)), ref).toContain(label);
      }
    }
  });

  it('rejects a group name with "/" naming the field', () => {
    const base = JSON.parse(readFileSync(path.join(MANIFESTS, 'nsd.json'), 'utf8'));
    expect(() => parseNsdManifest({ ...base, roiGroups: [{ name: 'a/b', members: ['streams/ventral'] }] })).toThrow(
      /manifest\.roiGroups\[0\]\.name/,
    );
  });
});
