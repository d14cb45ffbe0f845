/**
 * Synthetic NSD: a small dataset in the exact NSD layout, from a known generative model.
 *
 * Model: sparse non-negative ground-truth features F (images x K, each active with probability p) drive
 * voxels (each ROI label weights its own feature subset; unlabelled cortex weakly sees all features) plus
 * per-trial noise; two DNN-like layers mix the same features with random non-negative weights into fewer
 * units than features (superposition) followed by ReLU. Betas are stored as int16 = psc x 300 in HDF5
 * (trials, Z, Y, X; one chunk per voxel time series) and NIfTI (X, Y, Z, trials), ROIs as integer
 * NIfTI with -1/0/labels and lh./rh. variants, plus ncsnr, brain mask and the stimulus CSV.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../compute/random';
import { writeNifti1 } from '../io/nifti-write';
import { writeNpy } from '../io/npy';
import { writeBetasHdf5 } from './betas-hdf5-write';
import { BetasWriteThread } from './betas-write-thread';
import { fillTemplate, sessionName, subjectName } from './paths';
import {
  type BetasModel,
  betasModel,
  drawFeatures,
  drawImagePool,
  drawLayer,
  drawSessionBetasInto,
  drawSubjectTrials,
  drawVoxelWeights,
  type ImagePool,
  roiFeatureSubsets,
  signalOfImages,
  subjectImages,
} from './synthetic-model';
import { writeSyntheticStimulusImages } from './synthetic-images';
import { extraAtlasVolumes, hemiVolume, type LabelFrame, labelFrame, makeRoiVolumes } from './synthetic-rois';
import type { NsdManifestInput } from './manifest';
import type { VolumeShape } from './voxels';

export interface SyntheticLayerSpec {
  name: string;
  units: number;
}

export interface SyntheticNsdOptions {
  /** Number of subjects (default 2), written as subj01, subj02, ... */
  subjects?: number;
  /** Sessions per subject (default 3). */
  sessions?: number;
  /** Trials per session (default 750, as NSD). */
  trialsPerSession?: number;
  /** Volume (X, Y, Z) (default 12 x 10 x 8). */
  volumeShape?: VolumeShape;
  /** Distinct images per subject (default 1000; must satisfy images <= trials <= 3 x images). */
  images?: number;
  /** Images shared by all subjects (default 100). */
  sharedImages?: number;
  /** Ground-truth features K (default 48). */
  features?: number;
  /** Probability that a feature is active for an image (default 0.08). */
  featureProbability?: number;
  /** DNN-like layers (default layer1: 32 units, layer2: 20 units). */
  layers?: SyntheticLayerSpec[];
  /** Per-trial noise sd relative to the mean voxel signal sd (default 1). */
  noise?: number;
  /** Formats written (default both). */
  formats?: ('hdf5' | 'nifti')[];
  seed?: number;
  /**
   * Also write floc-faces (5 labels) and streams (7 labels) atlases, as slabs along x and z over the cortex
   * (for studies over several atlases; drawn without the random stream, so other files are unchanged).
   */
  extraAtlases?: boolean;
  /**
   * Size (X, Y, Z) of a box centred in the volume that holds every ROI label (all atlases); the rest of the
   * cortex is unlabelled (0). Default: the labels span the whole cortex. NSD-sized volumes need it so that the
   * ROIs stay NSD-sized (thousands of voxels, not the whole brain).
   */
  roiBox?: VolumeShape;
  /**
   * Stimulus images' side in pixels (default 32; NSD's are 425), written as nsd_stimuli.hdf5 showing each image's
   * ground-truth features (synthetic-images.ts); 0 writes no images.
   */
  imageSize?: number;
  /** Bytes per HDF5 write (z slabs of whole planes; default 32 MiB, far below h5wasm's 2 GiB heap). */
  hdf5SlabBytes?: number;
  /**
   * Sessions of at least this many int16 bytes (default 64 MiB) are written to HDF5 in a thread of their own
   * (betas-write-thread.ts) while the next session is drawn; smaller ones in this thread, where a thread's
   * start-up would cost more than it saves.
   */
  threadedWriteBytes?: number;
  /** Called after each session's betas are on disk (the writer streams: at most two sessions in memory). */
  onSession?: (info: { subject: number; session: number; files: string[] }) => void;
}

export interface SyntheticNsdResult {
  root: string;
  manifestPath: string;
  manifest: NsdManifestInput;
  subjects: number[];
  sessions: number[];
  volumeShape: VolumeShape;
  /** Every file written, absolute. */
  files: string[];
  layers: { name: string; units: number; activations: string; stimulusIds: string }[];
  groundTruth: { features: string; nsdIds: string; mixing: Record<string, string>; roiFeatures: string };
}

const TEMPLATES = {
  hdf5: 'nsddata_betas/ppdata/{subject}/{space}/{version}/betas_session{session}.hdf5',
  nifti: 'nsddata_betas/ppdata/{subject}/{space}/{version}/betas_session{session}.nii.gz',
  ncsnr: 'nsddata_betas/ppdata/{subject}/{space}/{version}/ncsnr.nii.gz',
  brainMask: 'nsddata/ppdata/{subject}/{space}/brainmask.nii.gz',
  prf: 'nsddata/ppdata/{subject}/{space}/roi/{hemi}prf-visualrois.nii.gz',
  general: 'nsddata/ppdata/{subject}/{space}/roi/{hemi}nsdgeneral.nii.gz',
  faces: 'nsddata/ppdata/{subject}/{space}/roi/{hemi}floc-faces.nii.gz',
  streams: 'nsddata/ppdata/{subject}/{space}/roi/{hemi}streams.nii.gz',
  stimuli: 'nsddata/experiments/nsd/nsd_stim_info_merged.csv',
  images: 'nsddata_stimuli/stimuli/nsd/nsd_stimuli.hdf5',
};

export function syntheticManifest(
  formats: ('hdf5' | 'nifti')[],
  trialsPerSession: number,
  extraAtlases = false,
): NsdManifestInput {
  return {
    name: 'Synthetic NSD (generated by writeSyntheticNsd)',
    space: 'func1pt8mm',
    trialsPerSession,
    betas: {
      version: 'betas_fithrf_GLMdenoise_RR',
      format: formats.includes('hdf5') ? 'hdf5' : 'nifti',
      ...(formats.includes('hdf5') ? { hdf5: TEMPLATES.hdf5 } : {}),
      ...(formats.includes('nifti') ? { nifti: TEMPLATES.nifti } : {}),
      dataset: '/betas',
      scale: 300,
    },
    ncsnr: TEMPLATES.ncsnr,
    brainMask: TEMPLATES.brainMask,
    atlases: [
      { name: 'prf-visualrois', file: TEMPLATES.prf, hemispheres: true },
      { name: 'nsdgeneral', file: TEMPLATES.general, hemispheres: true },
      ...(extraAtlases
        ? [
            { name: 'floc-faces', file: TEMPLATES.faces, hemispheres: true },
            { name: 'streams', file: TEMPLATES.streams, hemispheres: true },
          ]
        : []),
    ],
    stimulusImages: { file: TEMPLATES.images, dataset: 'imgBrick' },
    stimuli: TEMPLATES.stimuli,
  };
}

type ResolvedOptions = ReturnType<typeof resolveOptions>;

function resolveOptions(options: SyntheticNsdOptions) {
  return {
    subjects: 2,
    sessions: 3,
    trialsPerSession: 750,
    volumeShape: [12, 10, 8] as VolumeShape,
    images: 1000,
    sharedImages: 100,
    features: 48,
    featureProbability: 0.08,
    layers: [
      { name: 'layer1', units: 32 },
      { name: 'layer2', units: 20 },
    ],
    noise: 1,
    formats: ['hdf5', 'nifti'] as ('hdf5' | 'nifti')[],
    seed: 1,
    imageSize: 32,
    ...options,
  };
}

/** The dataset's directory: NSD paths under its root, and every file written there, in writing order. */
class SyntheticTree {
  readonly files: string[] = [];
  constructor(readonly root: string) {}

  /** Absolute path of an NSD template filled for `subject` (its directory created), not yet recorded. */
  pathOf(tpl: string, subject?: number, extra: Record<string, string> = {}): string {
    const rel = fillTemplate(
      tpl,
      {
        space: 'func1pt8mm',
        version: 'betas_fithrf_GLMdenoise_RR',
        ...(subject ? { subject: subjectName(subject) } : {}),
        ...extra,
      },
      'synthetic',
    );
    const f = path.join(this.root, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    return f;
  }

  /** Write `data` at `rel` under the root and record it. */
  write(rel: string, data: Uint8Array | string): string {
    const f = path.join(this.root, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, data);
    this.files.push(f);
    return f;
  }
}

/**
 * Layers: non-negative random mixing (K x units), ReLU(F M - bias), rows in one shuffled file order; each
 * written as activations .npy, its stimulus ids .npy and its ground-truth mixing .npy.
 */
function writeLayers(
  tree: SyntheticTree,
  layers: SyntheticLayerSpec[],
  F: Float32Array,
  K: number,
  poolIds: Int32Array,
  rng: Rng,
): { layers: SyntheticNsdResult['layers']; mixing: Record<string, string> } {
  const poolSize = poolIds.length;
  const out: SyntheticNsdResult['layers'] = [];
  const mixing: Record<string, string> = {};
  const order = rng.shuffle(Int32Array.from({ length: poolSize }, (_, i) => i)); // file row -> pool index
  for (const layer of layers) {
    const U = layer.units;
    const { M, A } = drawLayer(F, K, U, order, rng);
    const acts = tree.write(`activations/${layer.name}.npy`, writeNpy(A, [poolSize, U]));
    const ids = tree.write(
      `activations/${layer.name}_ids.npy`,
      writeNpy(
        Int32Array.from(order, (p) => poolIds[p]),
        [poolSize],
      ),
    );
    mixing[layer.name] = tree.write(`ground_truth/${layer.name}_mixing.npy`, writeNpy(M, [K, U]));
    out.push({ name: layer.name, units: U, activations: acts, stimulusIds: ids });
  }
  return { layers: out, mixing };
}

/**
 * Every session's betas of subject `s`, at most two sessions in memory (T x V int16, ~1 GB each at NSD size):
 * while a large session's HDF5 file is written in a thread of its own, the next session is drawn into the other
 * buffer (the two cores of these machines; drawing and writing take ~19 s and ~8 s per session at NSD size).
 * Layout [t][z][y][x] == NIfTI x-fastest volume t. Every session writes the same voxels, so the buffers are reused.
 */
async function writeSubjectSessions(
  tree: SyntheticTree,
  o: ResolvedOptions,
  s: number,
  prf: Int32Array,
  trialImage: Int32Array,
  signalOf: (p: number) => Float32Array,
  model: BetasModel,
  rng: Rng,
): Promise<void> {
  const [X, Y, Z] = o.volumeShape;
  const V = X * Y * Z;
  const T = o.trialsPerSession;
  const threaded = o.formats.includes('hdf5') && 2 * T * V >= (o.threadedWriteBytes ?? 64 << 20);
  const buffers = threaded
    ? [0, 1].map(() => new Int16Array(new SharedArrayBuffer(2 * T * V)))
    : [new Int16Array(T * V)];
  const thread = threaded ? new BetasWriteThread() : null;
  try {
    let pending: Promise<void> = Promise.resolve();
    for (let sess = 1; sess <= o.sessions; sess++) {
      const stored = buffers[sess % buffers.length];
      drawSessionBetasInto(stored, trialImage.subarray((sess - 1) * T, sess * T), prf, signalOf, model, rng);
      await pending; // the previous session's file is complete (its buffer is drawn into next)
      const sessionFiles: string[] = [];
      let write: Promise<unknown> = Promise.resolve();
      if (o.formats.includes('hdf5')) {
        const f = tree.pathOf(TEMPLATES.hdf5, s, { session: sessionName(sess) });
        const shape: [number, number, number, number] = [T, Z, Y, X];
        write = thread
          ? thread.write({ file: f, data: stored, shape, slabBytes: o.hdf5SlabBytes })
          : writeBetasHdf5(f, stored, shape, o.hdf5SlabBytes);
        sessionFiles.push(f);
      }
      if (o.formats.includes('nifti')) {
        const f = tree.pathOf(TEMPLATES.nifti, s, { session: sessionName(sess) });
        writeNifti1(f, stored, [X, Y, Z, T]);
        sessionFiles.push(f);
      }
      pending = write.then(() => {
        tree.files.push(...sessionFiles);
        o.onSession?.({ subject: s, session: sess, files: sessionFiles });
      });
      if (!thread) await pending;
    }
    await pending;
  } finally {
    await thread?.close();
  }
}

/** A subject's 3-D volumes: ncsnr, brain mask, and each atlas whole and per hemisphere (lh., rh.). */
function writeSubjectVolumes(
  tree: SyntheticTree,
  o: ResolvedOptions,
  s: number,
  frame: LabelFrame,
  rois: { prf: Int32Array; general: Int32Array },
  ncsnr: Float32Array,
): void {
  const vol = (tpl: string, data: Int32Array | Float32Array | Uint8Array, hemi = '') => {
    const f = tree.pathOf(tpl, s, { hemi });
    writeNifti1(f, data, o.volumeShape);
    tree.files.push(f);
  };
  vol(TEMPLATES.ncsnr, ncsnr);
  vol(
    TEMPLATES.brainMask,
    Uint8Array.from(rois.prf, (v) => (v >= 0 ? 1 : 0)),
  );
  const extra = o.extraAtlases ? extraAtlasVolumes(rois.prf, o.volumeShape, frame) : null;
  const atlasVolumes: [string, Int32Array][] = [
    [TEMPLATES.prf, rois.prf],
    [TEMPLATES.general, rois.general],
    ...(extra
      ? ([
          [TEMPLATES.faces, extra.faces],
          [TEMPLATES.streams, extra.streams],
        ] as [string, Int32Array][])
      : []),
  ];
  for (const [tpl, data] of atlasVolumes) {
    vol(tpl, data);
    vol(tpl, hemiVolume(data, o.volumeShape, 'lh'), 'lh.');
    vol(tpl, hemiVolume(data, o.volumeShape, 'rh'), 'rh.');
  }
}

/** What every subject draws from: the options, the label frame, the image pool and the ground truth. */
interface SyntheticRun {
  tree: SyntheticTree;
  o: ResolvedOptions;
  frame: LabelFrame;
  pool: ImagePool;
  F: Float32Array;
  roiFeatures: Record<string, number[]>;
  rng: Rng;
}

/** Draw and write subject `s` (ROIs, trials, betas, volumes); returns its trial per image and repetition. */
async function writeSubject(c: SyntheticRun, s: number): Promise<Int32Array[]> {
  const { tree, o, frame, pool, F, roiFeatures, rng } = c;
  const [X, Y, Z] = o.volumeShape;
  const rois = makeRoiVolumes(o.volumeShape, frame, rng);
  const imgs = subjectImages(pool, s);
  const trials = drawSubjectTrials(imgs, o.sessions * o.trialsPerSession, pool.ids.length, rng);
  const W = drawVoxelWeights(rois.prf, roiFeatures, o.features, rng);
  const signalOf = signalOfImages(F, W, o.features, X * Y * Z);
  const model = betasModel(rois.prf, imgs, signalOf, o.noise, rng);
  await writeSubjectSessions(tree, o, s, rois.prf, trials.trialImage, signalOf, model, rng);
  writeSubjectVolumes(tree, o, s, frame, rois, model.ncsnr);
  return trials.repCols;
}

/**
 * Stimulus table in nsd_stim_info_merged.csv layout, rows in nsdId order. `repCols[s - 1][rep][image]` is
 * subject s's trial of that repetition of the image (0 = not shown).
 */
function stimulusTableCsv(pool: ImagePool, repCols: Int32Array[][]): string {
  const S = repCols.length;
  const header = [
    '',
    'cocoId',
    'cocoSplit',
    'cropBox',
    'loss',
    'nsdId',
    'flagged',
    'BOLD5000',
    'shared1000',
    ...Array.from({ length: 8 }, (_, i) => `subject${i + 1}`),
    ...Array.from({ length: 8 }, (_, i) => [0, 1, 2].map((r) => `subject${i + 1}_rep${r}`)).flat(),
  ];
  const poolIds = pool.ids;
  const byId = Array.from({ length: poolIds.length }, (_, p) => p).sort((a, b) => poolIds[a] - poolIds[b]);
  const lines = [header.join(',')];
  byId.forEach((p, row) => {
    const shown = (s: number) => s <= S && repCols[s - 1][0][p] > 0;
    lines.push(
      [
        row,
        100000 + poolIds[p],
        'train2017',
        '"(0, 0, 0.125, 0.125)"',
        0,
        poolIds[p],
        'False',
        'False',
        p < pool.shared ? 'True' : 'False',
        ...Array.from({ length: 8 }, (_, i) => (shown(i + 1) ? 1 : 0)),
        ...Array.from({ length: 8 }, (_, i) => [0, 1, 2].map((r) => (i < S ? repCols[i][r][p] : 0))).flat(),
      ].join(','),
    );
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Write a synthetic NSD dataset under `dir` (created if needed) and return what was written.
 * The default (2 subjects, 3 sessions x 750 trials, 12x10x8 volume, 1000 images each) builds in about a second.
 * One random stream in a fixed order (pool, features, layers, then subject by subject), so a seed gives one dataset.
 */
export async function writeSyntheticNsd(dir: string, options: SyntheticNsdOptions = {}): Promise<SyntheticNsdResult> {
  const o = resolveOptions(options);
  const frame = labelFrame(o.volumeShape, o.roiBox); // validates roiBox before anything is written
  const rng = new Rng(o.seed);
  const tree = new SyntheticTree(path.resolve(dir));
  const pool = drawImagePool(o, rng);
  const K = o.features;
  const F = drawFeatures(pool.ids.length, K, o.featureProbability, rng);
  const roiFeatures = roiFeatureSubsets(K);
  const { layers, mixing } = writeLayers(tree, o.layers, F, K, pool.ids, rng);
  const groundTruth = {
    features: tree.write('ground_truth/features.npy', writeNpy(F, [pool.ids.length, K])),
    nsdIds: tree.write('ground_truth/nsd_ids.npy', writeNpy(pool.ids, [pool.ids.length])),
    mixing,
    roiFeatures: tree.write('ground_truth/roi_features.json', JSON.stringify(roiFeatures, null, 1)),
  };
  const repCols: Int32Array[][] = []; // [subject][rep] -> trial per pool image (0 = not shown)
  const run: SyntheticRun = { tree, o, frame, pool, F, roiFeatures, rng };
  for (let s = 1; s <= o.subjects; s++) repCols.push(await writeSubject(run, s));
  tree.write(TEMPLATES.stimuli, stimulusTableCsv(pool, repCols));
  if (o.imageSize > 0) {
    const f = tree.pathOf(TEMPLATES.images);
    await writeSyntheticStimulusImages(f, pool.ids, F, K, o.imageSize, o.seed);
    tree.files.push(f);
  }
  const manifest = syntheticManifest(o.formats, o.trialsPerSession, o.extraAtlases);
  const manifestPath = tree.write('manifest.json', JSON.stringify(manifest, null, 2));
  return {
    root: tree.root,
    manifestPath,
    manifest,
    subjects: Array.from({ length: o.subjects }, (_, i) => i + 1),
    sessions: Array.from({ length: o.sessions }, (_, i) => i + 1),
    volumeShape: o.volumeShape,
    files: tree.files,
    layers,
    groundTruth,
  };
}
