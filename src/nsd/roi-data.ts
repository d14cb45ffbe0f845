/** Everything an alignment run needs for one subject and ROI selection: voxels, betas, noise ceiling. */
import { loadRoiMask, type RoiSelection } from './rois';
import { loadSubjectRoiBetas, type LoadSubjectBetasOptions, type SubjectRoiBetas } from './subject-betas';
import { loadNcsnr } from './volumes';
import { noiseCeiling } from './noise-ceiling';
import { betasPath, discoverSessions, type NsdDataset } from './dataset';
import { readBetasFileShape } from './betas-session';
import { DataValidationError } from '../errors';

export interface SubjectRoiData extends SubjectRoiBetas {
  /** ncsnr per voxel (null when the dataset has no ncsnr volume). */
  ncsnr: Float32Array | null;
  /** Noise ceiling (% explainable variance) per voxel for these images' repetition counts (null without ncsnr). */
  noiseCeiling: Float32Array | null;
}

/**
 * Load an ROI selection's repetition-averaged, session-z-scored betas for one subject, with ncsnr and the
 * noise ceiling for the loaded images. ROI volumes must match the betas volume shape.
 * @throws DataValidationError for bad selections, shapes, files or nsdIds (see the functions it calls).
 */
export async function loadSubjectRoiData(
  ds: NsdDataset,
  subject: number,
  selection: RoiSelection,
  opts: LoadSubjectBetasOptions = {},
): Promise<SubjectRoiData> {
  const format = opts.format ?? ds.manifest.betas.format;
  const sessions = opts.sessions ?? discoverSessions(ds, subject, format);
  if (sessions.length === 0)
    throw new DataValidationError('subject', `subject ${subject} has no ${format} betas sessions`);
  const { volumeShape } = await readBetasFileShape(betasPath(ds, subject, sessions[0], format), format, {
    dataset: ds.manifest.betas.dataset,
    field: `manifest.betas.${format}`,
  });
  const mask = await loadRoiMask(ds, subject, selection, volumeShape);
  if (mask.voxelIndices.length === 0) throw new DataValidationError('roi', 'the ROI selection holds no voxels');
  const betas = await loadSubjectRoiBetas(ds, subject, mask.voxelIndices, { ...opts, sessions });
  const ncsnr = ds.manifest.ncsnr ? await loadNcsnr(ds, subject, mask.voxelIndices, volumeShape) : null;
  return { ...betas, ncsnr, noiseCeiling: ncsnr ? noiseCeiling(ncsnr, betas.repetitions) : null };
}
