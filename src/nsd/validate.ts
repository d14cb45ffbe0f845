/**
 * Dataset validation at registration: every referenced file exists with the right shape and dtype,
 * judged from headers (HDF5 superblock and dataset metadata, NIfTI header and gzip trailer) without reading
 * betas files whole; ROI volumes are read (small) to count voxels per label and hemisphere.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataValidationError } from '../errors';
import { atlasLabels, type BetasFormat } from './manifest';
import {
  atlasPath,
  betasPath,
  datasetPath,
  discoverSessions,
  discoverSubjects,
  openNsdDataset,
  stimuliPath,
  type NsdDataset,
} from './dataset';
import { readBetasFileShape } from './betas-session';
import { readNiftiHeader } from '../io/nifti';
import { labelCounts, readRoiVolume } from './rois';
import { readStimulusTable, subjectTrialImages } from './stimuli';
import { subjectName } from './paths';
import { sameShape, type VolumeShape } from './voxels';

export interface RoiSummary {
  value: number;
  name: string;
  /** Voxel counts in the bilateral volume and, when the atlas has them, the lh./rh. variants. */
  voxels: { both: number; lh?: number; rh?: number };
}

export interface AtlasSummary {
  name: string;
  rois: RoiSummary[];
}

export interface SubjectSummary {
  subject: number;
  volumeShape: VolumeShape;
  /** Sessions on disk per betas format. */
  sessions: Partial<Record<BetasFormat, number[]>>;
  /** Distinct images in the sessions of the default format, and trials mapped to them. */
  images: number;
  trials: number;
  atlases: AtlasSummary[];
}

/** A file the manifest names that the root lacks (a partial download); what it would have given is skipped. */
export interface MissingFile {
  kind: 'atlas';
  atlas: string;
  subject: string;
  /** Relative to the dataset root. */
  path: string;
  reason: string;
}

export interface DatasetSummary {
  name?: string;
  space: string;
  betasVersion: string;
  trialsPerSession: number;
  subjects: SubjectSummary[];
  /** Atlas volumes not on disk; their ROIs are not registered (others are). */
  missing: MissingFile[];
}

const INT_DTYPES = new Set(['<h', '>h', 'int16']);

async function checkBetasFile(
  file: string,
  format: BetasFormat,
  ds: NsdDataset,
  field: string,
  shape: VolumeShape | null,
): Promise<VolumeShape> {
  const info = await readBetasFileShape(file, format, { dataset: ds.manifest.betas.dataset, field });
  if (!INT_DTYPES.has(info.dtype))
    throw new DataValidationError(field, `${file}: betas must be int16, got ${info.dtype}`);
  if (info.trials !== ds.manifest.trialsPerSession)
    throw new DataValidationError(
      field,
      `${file}: ${info.trials} trials, manifest says ${ds.manifest.trialsPerSession}`,
    );
  if (shape && !sameShape(info.volumeShape, shape))
    throw new DataValidationError(
      field,
      `${file}: volume ${info.volumeShape.join('x')} differs from ${shape.join('x')} of the first session`,
    );
  return info.volumeShape;
}

async function checkVolumeHeader(file: string, field: string, shape: VolumeShape): Promise<void> {
  if (!existsSync(file)) throw new DataValidationError(field, `missing file ${file}`);
  const h = await readNiftiHeader(file, field);
  if (!sameShape(h.shape, shape))
    throw new DataValidationError(
      field,
      `${file}: volume ${h.shape.join('x')} differs from the betas volume ${shape.join('x')}`,
    );
}

/**
 * Validate a manifest against the files under `root` and summarise what is there.
 * @throws DataValidationError naming the manifest field whose file is missing, truncated or mis-shaped.
 */
export async function validateDataset(
  manifest: unknown,
  root: string,
  allowedRoots: readonly string[],
): Promise<DatasetSummary> {
  const ds = openNsdDataset(manifest, root, allowedRoots);
  const m = ds.manifest;
  const table = readStimulusTable(stimuliPath(ds), 'manifest.stimuli');
  const formats = (['hdf5', 'nifti'] as const).filter((f) => m.betas[f]);
  const subjects = discoverSubjects(ds);
  if (subjects.length === 0)
    throw new DataValidationError(`manifest.betas.${m.betas.format}`, 'no subject has betas files under the root');
  const out: SubjectSummary[] = [];
  const missing: MissingFile[] = [];
  for (const subject of subjects) {
    let shape: VolumeShape | null = null;
    const sessions: SubjectSummary['sessions'] = {};
    for (const format of formats) {
      const list = discoverSessions(ds, subject, format);
      for (const s of list)
        shape = await checkBetasFile(betasPath(ds, subject, s, format), format, ds, `manifest.betas.${format}`, shape);
      sessions[format] = list;
    }
    if (!shape)
      throw new DataValidationError(`manifest.betas.${m.betas.format}`, `${subjectName(subject)} has no sessions`);
    const values = { subject: subjectName(subject) };
    if (m.ncsnr) await checkVolumeHeader(datasetPath(ds, m.ncsnr, values, 'manifest.ncsnr'), 'manifest.ncsnr', shape);
    if (m.brainMask)
      await checkVolumeHeader(datasetPath(ds, m.brainMask, values, 'manifest.brainMask'), 'manifest.brainMask', shape);

    const trialImages = subjectTrialImages(table, subject, 'manifest.stimuli');
    const T = m.trialsPerSession;
    const seen = new Set<number>();
    let trials = 0;
    for (const s of sessions[m.betas.format] ?? []) {
      for (let g = (s - 1) * T; g < s * T && g < trialImages.length; g++)
        if (trialImages[g] >= 0) {
          seen.add(trialImages[g]);
          trials++;
        }
    }

    // People sync NSD partially (some ROI files): an absent atlas volume is listed in `missing` and its
    // ROIs skipped; a present one must still be readable and of the betas shape.
    const atlases: AtlasSummary[] = [];
    for (let ai = 0; ai < m.atlases.length; ai++) {
      const a = m.atlases[ai];
      const field = `manifest.atlases[${ai}].file`;
      const read = async (hemi: '' | 'lh' | 'rh') => {
        const f = atlasPath(ds, a.name, subject, hemi);
        if (!existsSync(f)) {
          missing.push({
            kind: 'atlas',
            atlas: a.name,
            subject: subjectName(subject),
            path: path.relative(ds.root, f),
            reason: 'file not found',
          });
          return undefined;
        }
        return labelCounts((await readRoiVolume(f, field, shape!)).labels);
      };
      const both = await read('');
      const lh = a.hemispheres ? await read('lh') : undefined;
      const rh = a.hemispheres ? await read('rh') : undefined;
      // The bilateral volume defines the atlas for this subject; hemisphere volumes add their rows.
      if (!both) continue;
      const rois = Object.entries(atlasLabels(a))
        .map(([v, name]) => {
          const value = Number(v);
          return {
            value,
            name,
            voxels: {
              both: both.get(value) ?? 0,
              ...(lh ? { lh: lh.get(value) ?? 0 } : {}),
              ...(rh ? { rh: rh.get(value) ?? 0 } : {}),
            },
          };
        })
        .sort((x, y) => x.value - y.value);
      atlases.push({ name: a.name, rois });
    }
    out.push({ subject, volumeShape: shape, sessions, images: seen.size, trials, atlases });
  }
  return {
    name: m.name,
    space: m.space,
    betasVersion: m.betas.version,
    trialsPerSession: m.trialsPerSession,
    subjects: out,
    missing,
  };
}
