/**
 * Dataset manifest: where the files of an NSD-layout dataset live (path templates relative to the root),
 * which spaces, formats and atlases it has. zod schemas with descriptions (the HTTP layer derives OpenAPI
 * from them). Subjects and sessions present on disk are discovered (see discover.ts) unless listed.
 *
 * Path templates may use: {subject} (subj01), {space}, {version}, {session} (01), {hemi} ('' | 'lh.' | 'rh.').
 */
import { z } from 'zod';
import { DataValidationError } from '../errors';
import { DEFAULT_LABEL_TABLES, type LabelTable } from './labels';

const pathTemplate = z
  .string()
  .min(1)
  .describe(
    'Path template relative to the dataset root; placeholders {subject}, {space}, {version}, {session}, {hemi}',
  );

export const spaceSchema = z.enum(['func1pt8mm', 'func1mm']).describe('Functional volume space (1.8 mm or 1 mm)');
export const betasFormatSchema = z.enum(['hdf5', 'nifti']).describe('Betas file format');

export const betasSchema = z
  .object({
    version: z
      .string()
      .min(1)
      .default('betas_fithrf_GLMdenoise_RR')
      .describe('GLM version folder, e.g. betas_fithrf_GLMdenoise_RR, betas_assumehrf, betas_fithrf'),
    format: betasFormatSchema.default('hdf5').describe('Format read by default when both are present'),
    hdf5: pathTemplate.optional().describe('HDF5 session file template; dataset int16 (trials, Z, Y, X)'),
    nifti: pathTemplate.optional().describe('NIfTI session file template; int16 (X, Y, Z, trials)'),
    dataset: z.string().min(1).default('/betas').describe('HDF5 dataset name holding the betas'),
    scale: z.number().positive().default(300).describe('Stored value = percent signal change x scale'),
  })
  .describe('Single-trial betas, one file per session');

export const labelTableSchema = z
  .record(z.string().regex(/^[1-9]\d*$/, 'label values are positive integers'), z.string().min(1))
  .describe('Label value -> name; -1 (outside cortex) and 0 (unlabelled) are implicit');

export const atlasSchema = z
  .object({
    name: z.string().min(1).describe('Atlas name, e.g. prf-visualrois, streams, nsdgeneral, floc-faces, Kastner2015'),
    file: pathTemplate.describe(
      'ROI volume template (integer NIfTI, same shape as the betas volume); {hemi} expands to "", "lh." or "rh."',
    ),
    hemispheres: z.boolean().default(true).describe('Whether lh./rh. variants exist beside the bilateral volume'),
    labels: labelTableSchema.optional().describe('Label table; defaults to the shipped table for known atlas names'),
  })
  .describe('One ROI atlas');

export const roiGroupSchema = z
  .object({
    name: z
      .string()
      .regex(/^[^/]+$/, 'a group name has no "/"')
      .describe('Name used in requests, e.g. FFA'),
    members: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'Atlas-qualified labels ("floc-faces/FFA-1"; "lh."/"rh." prefix on the label for one hemisphere); the group is their union',
      ),
  })
  .describe('A named ROI: the union of atlas labels');

/** Where NSD keeps its stimulus images, relative to the dataset root (the manifest's default). */
export const NSD_STIMULI_FILE = 'nsddata_stimuli/stimuli/nsd/nsd_stimuli.hdf5';

export const stimulusImagesSchema = z
  .object({
    file: pathTemplate.default(NSD_STIMULI_FILE).describe('HDF5 file of the stimulus images (nsd_stimuli.hdf5)'),
    dataset: z
      .string()
      .min(1)
      .default('imgBrick')
      .describe('HDF5 dataset: uint8 (images, height, width, 3); row i is the image of 0-based nsdId i'),
  })
  .default({ file: NSD_STIMULI_FILE, dataset: 'imgBrick' })
  .describe('Stimulus images (optional on disk: without the file, images are not served and extraction is refused)');

export const nsdManifestSchema = z
  .object({
    name: z.string().min(1).optional().describe('Human-readable dataset name'),
    space: spaceSchema.default('func1pt8mm'),
    subjects: z
      .array(z.number().int().min(1).max(99))
      .optional()
      .describe('Subject numbers to use; omitted: those present on disk'),
    sessions: z
      .array(z.number().int().min(1).max(99))
      .optional()
      .describe('Session numbers to use; omitted: those present on disk per subject'),
    trialsPerSession: z
      .number()
      .int()
      .positive()
      .default(750)
      .describe('Trials per session file (750 in NSD); global trial g is in session ceil(g / trialsPerSession)'),
    betas: betasSchema,
    ncsnr: pathTemplate.optional().describe('Noise-ceiling SNR volume (float NIfTI, same shape as the betas volume)'),
    brainMask: pathTemplate.optional().describe('Brain mask volume (NIfTI, nonzero = brain)'),
    atlases: z.array(atlasSchema).default([]).describe('ROI atlases'),
    roiGroups: z
      .array(roiGroupSchema)
      .default([])
      .describe('Named ROIs over atlas labels (unions); a request may name them like any ROI'),
    stimulusImages: stimulusImagesSchema,
    stimuli: pathTemplate.describe(
      'Stimulus table nsd_stim_info_merged.csv (subject{S}_rep{0,1,2} columns map global trials to nsdId)',
    ),
  })
  .describe('NSD-layout dataset manifest');

export type NsdManifest = z.infer<typeof nsdManifestSchema>;
export type NsdManifestInput = z.input<typeof nsdManifestSchema>;
export type AtlasSpec = z.infer<typeof atlasSchema>;
export type BetasFormat = z.infer<typeof betasFormatSchema>;

/** "manifest.atlases[0].file" from a zod issue path. */
function fieldPath(prefix: string, p: readonly PropertyKey[]): string {
  let out = prefix;
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return out;
}

/**
 * Validate a manifest object (already JSON-parsed) and fill defaults.
 * @throws DataValidationError naming the first offending field, e.g. "manifest.betas.format".
 */
export function parseNsdManifest(input: unknown): NsdManifest {
  const r = nsdManifestSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DataValidationError(fieldPath('manifest', issue.path), issue.message);
  }
  const m = r.data;
  if (!m.betas[m.betas.format]) {
    throw new DataValidationError(
      `manifest.betas.${m.betas.format}`,
      `betas.format is "${m.betas.format}" but no ${m.betas.format} template is given`,
    );
  }
  const names = new Set<string>();
  m.atlases.forEach((a, i) => {
    if (names.has(a.name)) throw new DataValidationError(`manifest.atlases[${i}].name`, `duplicate atlas "${a.name}"`);
    names.add(a.name);
    if (!a.labels && !DEFAULT_LABEL_TABLES[a.name]) {
      throw new DataValidationError(
        `manifest.atlases[${i}].labels`,
        `no label table given and none shipped for atlas "${a.name}"`,
      );
    }
  });
  return m;
}

/** The label table of an atlas: its own, else the shipped default for its name. */
export function atlasLabels(atlas: AtlasSpec): LabelTable {
  return atlas.labels ?? DEFAULT_LABEL_TABLES[atlas.name] ?? {};
}
