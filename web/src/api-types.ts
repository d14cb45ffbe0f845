/**
 * Generated from the service's OpenAPI schemas by `npm run openapi` (scripts/web-api-types.ts): do not edit.
 * The dashboard reads these shapes; a test fails when this file is stale.
 */

export type Health = {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  database: {
    status: 'up' | 'down';
    embedded: boolean;
    /** external (DATABASE_URL); embedded (started by this process); embedded (attached) to the server of another live process on the same data directory; embedded (restarted orphan): a server left by a killed service was stopped and started again */
    mode: 'external' | 'embedded' | 'embedded (attached)' | 'embedded (restarted orphan)';
    latencyMs: number | null;
    /** When down: why, in a fixed sentence (no host, port or path), e.g. "the database server refused the connection (not running?)" */
    error?: string;
  };
  compute: {
    /** Active tensor backend rung: tensorflow-gpu, tensorflow, wasm or cpu */
    backend: string;
    tfjsVersion: string;
    skipped: {
      name: string;
      reason: string;
    }[];
    /** The OpenBLAS/LAPACKE addon used for GEMM, eigendecomposition and sparse products (else TypeScript/TensorFlow.js fallbacks) */
    native: {
      native: boolean;
      blas?: string;
      threads?: number;
      reason?: string;
      cause?: 'not-built' | 'load-failed' | 'env' | 'runtime';
      /** When the native path is off: the expected slowdown and what to do, in one sentence */
      notice?: string;
    };
    /** The GPU path (cuBLAS, cuSOLVER, cuSPARSE opened at run time): the device in use, or why it is not used */
    cuda: {
      available: boolean;
      reason?: string;
      libs?: Record<string, string>;
      device?: {
        name: string;
        computeCapability: string;
        memoryBytes: number;
        runtimeVersion: number;
        driverVersion: number;
      };
      searched?: string[];
    };
  };
  /** Processes that run jobs: live (heart-beating), gone (silent for longer than ALIGN_JOB_STALE_SECONDS), and the jobs the live ones run; GET /v1/workers lists them */
  workers?: {
    live: number;
    gone: number;
    runningJobs: number;
  };
  /** Jobs of every kind: waiting for a worker, running, lost with their worker */
  queue?: {
    waiting: number;
    running: number;
    lost: number;
    oldestWaitingSeconds: number | null;
  };
};

/** RFC 9457 problem details */
export type Problem = {
  /** Stable problem type, e.g. /problems/validation */
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
};

export type FieldError = {
  field: string;
  reason: string;
};

export type Dataset = {
  id: string;
  name: string;
  root: string;
  space: string;
  betasVersion: string;
  createdAt: string;
  atlases: {
    name: string;
    labels: Record<string, string>;
  }[];
  subjects: {
    label: string;
    sessions: number[];
    volumeShape: number[];
    images: number;
    trials: number;
    rois: {
      atlas: string;
      name: string;
      label: number;
      hemisphere: 'both' | 'lh' | 'rh';
      voxelCount: number;
    }[];
  }[];
  /** Files the manifest names that were not on disk at registration (a partial download); their ROIs are not registered */
  missing: MissingFile[];
};

export type MissingFile = {
  kind: 'atlas';
  atlas: string;
  subject: string;
  /** Relative to the dataset root */
  path: string;
  reason: string;
};

export type CreateDataset = {
  name: string;
  /** Dataset root folder (inside ALIGN_DATA_ROOTS; a relative path is taken from the first data root) */
  root: string;
  /** Inline manifest, or the name of a shipped one */
  manifest?:
    | string
    | {
        /** Human-readable dataset name */
        name?: string;
        /** Functional volume space (1.8 mm or 1 mm) */
        space?: 'func1pt8mm' | 'func1mm';
        /** Subject numbers to use; omitted: those present on disk */
        subjects?: number[];
        /** Session numbers to use; omitted: those present on disk per subject */
        sessions?: number[];
        /** Trials per session file (750 in NSD); global trial g is in session ceil(g / trialsPerSession) */
        trialsPerSession?: number;
        /** Single-trial betas, one file per session */
        betas: {
          /** GLM version folder, e.g. betas_fithrf_GLMdenoise_RR, betas_assumehrf, betas_fithrf */
          version?: string;
          /** Format read by default when both are present */
          format?: 'hdf5' | 'nifti';
          /** HDF5 session file template; dataset int16 (trials, Z, Y, X) */
          hdf5?: string;
          /** NIfTI session file template; int16 (X, Y, Z, trials) */
          nifti?: string;
          /** HDF5 dataset name holding the betas */
          dataset?: string;
          /** Stored value = percent signal change x scale */
          scale?: number;
        };
        /** Noise-ceiling SNR volume (float NIfTI, same shape as the betas volume) */
        ncsnr?: string;
        /** Brain mask volume (NIfTI, nonzero = brain) */
        brainMask?: string;
        /** ROI atlases */
        atlases?: {
          /** Atlas name, e.g. prf-visualrois, streams, nsdgeneral, floc-faces, Kastner2015 */
          name: string;
          /** ROI volume template (integer NIfTI, same shape as the betas volume); {hemi} expands to "", "lh." or "rh." */
          file: string;
          /** Whether lh./rh. variants exist beside the bilateral volume */
          hemispheres?: boolean;
          /** Label table; defaults to the shipped table for known atlas names */
          labels?: Record<string, string>;
        }[];
        /** Named ROIs over atlas labels (unions); a request may name them like any ROI */
        roiGroups?: {
          /** Name used in requests, e.g. FFA */
          name: string;
          /** Atlas-qualified labels ("floc-faces/FFA-1"; "lh."/"rh." prefix on the label for one hemisphere); the group is their union */
          members: string[];
        }[];
        /** Stimulus images (optional on disk: without the file, images are not served and extraction is refused) */
        stimulusImages?: {
          /** HDF5 file of the stimulus images (nsd_stimuli.hdf5) */
          file?: string;
          /** HDF5 dataset: uint8 (images, height, width, 3); row i is the image of 0-based nsdId i */
          dataset?: string;
        };
        /** Stimulus table nsd_stim_info_merged.csv (subject{S}_rep{0,1,2} columns map global trials to nsdId) */
        stimuli: string;
      };
  /** Manifest JSON file (inside ALIGN_DATA_ROOTS; a relative path is taken from the dataset root) */
  manifestPath?: string;
};

export type DatasetPage = {
  items: {
    id: string;
    name: string;
    root: string;
    subjects: string[];
    createdAt: string;
  }[];
  total: number;
  limit: number;
  offset: number;
};

export type StimulusPage = {
  items: Stimulus[];
  total: number;
  limit: number;
  offset: number;
};

export type Stimulus = {
  /** 0-based nsdId: the `nsdId` column of nsd_stim_info_merged.csv and the row of nsd_stimuli.hdf5's imgBrick (0..72999). NOT the 1-based 73k id of nsd_expdesign.mat (73k id = nsdId + 1). Layers' stimulus ids use this convention. */
  nsdId: number;
  /** One of the 1,000 images every NSD subject saw */
  shared1000: boolean;
  /** Trials that showed the image in the subject's registered sessions (1 to 3 in NSD) */
  presentations: number;
};

export type Model = {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
  /** Its ONNX network (artefact store key and file name), or null: GET /v1/models/{id}/network */
  network: {
    key: string;
    name: string;
  } | null;
  layers: LayerSummary[];
};

export type LayerSummary = {
  id: string;
  name: string;
  position: number;
  /** Units (columns) in the activation matrix */
  width: number;
  /** Stimuli (rows) */
  count: number;
  dtype: string;
};

export type CreateModel = {
  name: string;
  description?: string;
};

export type ModelPage = {
  items: Model[];
  total: number;
  limit: number;
  offset: number;
};

export type Layer = {
  id: string;
  modelId: string;
  name: string;
  position: number;
  width: number;
  count: number;
  dtype: string;
  /** sha256 of the activation file */
  checksum: string;
  activations: {
    /** The path inside the data roots, or for an upload its artefact store key (sha256:<hex> and extension) */
    path: string;
    dataset: string | null;
  };
  stimulusIds: {
    /** The path inside the data roots, or for an upload its artefact store key (sha256:<hex> and extension) */
    path: string;
    dataset: string | null;
  };
  preprocessing: LayerPreprocessing;
  createdAt: string;
};

/** Applied to the activations before every metric and SAE (training and encoding); stored with the layer and reported with every run */
export type LayerPreprocessing = {
  /** 'relu': negative activations become 0 (the authors' CNN layers) */
  clamp?: 'relu';
} | null;

export type CreateLayer = {
  name: string;
  /** Depth order within the model (default: after the existing layers) */
  position?: number;
  /** .npy (float16/32/64, C or Fortran order) or HDF5 dataset, stimuli x units; by path or upload id */
  activations:
    | {
        /** File path (absolute, or relative to the first data root) */
        path: string;
        /** HDF5 dataset name (for .h5/.hdf5 files) */
        dataset?: string;
      }
    | {
        /** The id of a complete resumable upload (POST /v1/uploads) */
        upload: string;
        /** HDF5 dataset name (for .h5/.hdf5 files) */
        dataset?: string;
      };
  /** nsdIds of the activation rows: .npy, .json, .csv or HDF5 dataset; by path or upload id */
  stimulusIds:
    | {
        /** File path (absolute, or relative to the first data root) */
        path: string;
        /** HDF5 dataset name (for .h5/.hdf5 files) */
        dataset?: string;
      }
    | {
        /** The id of a complete resumable upload (POST /v1/uploads) */
        upload: string;
        /** HDF5 dataset name (for .h5/.hdf5 files) */
        dataset?: string;
      };
  preprocessing?: LayerPreprocessing;
};

export type UploadLayer = {
  name: string;
  position?: string;
  /** .npy file */
  activations: string;
  /** .npy, .json or .csv file */
  stimulusIds: string;
  /** LayerPreprocessing as JSON text, e.g. {"clamp": "relu"} */
  preprocessing?: string;
};

export type Upload = {
  id: string;
  name: string;
  length: number;
  /** Bytes received: the next piece starts here */
  offset: number;
  complete: boolean;
  sha256: string | null;
  createdAt: string;
};

export type CreateUpload = {
  /** The file's name: its extension picks the reader (.npy, .json, .csv, .h5) */
  name: string;
  /** The whole file, in bytes */
  length: number;
  /** The file's sha256, checked before the upload is used */
  sha256?: string;
};

export type Network = {
  modelId: string;
  /** Artefact store key of the ONNX file (sha256:<hex>.onnx) */
  key: string;
  /** File name as given */
  name: string;
  inputs: {
    name: string;
    dims: (number | string)[];
  }[];
  outputs: string[];
  /** Every tensor a node produces, in graph order: what a layer may tap */
  tensors: string[];
};

export type AttachNetwork = {
  /** ONNX file (absolute, or relative to the first data root) */
  path: string;
};

export type UploadNetwork = {
  /** .onnx file */
  network: string;
};

export type Extraction = {
  id: string;
  modelId: string;
  datasetId: string;
  networkKey: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  error: string | null;
  /** The extraction job: GET /v1/jobs/{jobId} for progress */
  jobId: string | null;
  stimulusCount: number;
  subjects: string[] | null;
  layers: {
    /** ONNX tensor name (GET /v1/models/{id}/network lists them) */
    tensor: string;
    /** Name of the layer it registers */
    name: string;
    /** Over positions: 'centre' (the authors' choice: the [H//2, W//2] unit of each channel; tokens: the centre patch), 'mean', 'max', 'flatten' (every position), 'cls' (tokens: the class token). N x D tensors are kept as they are. */
    pooling?: 'centre' | 'mean' | 'max' | 'flatten' | 'cls';
  }[];
  preprocessing: ExtractionPreprocessing;
  /** The layers registered so far, in request order */
  layerIds: string[];
  createdAt: string;
  finishedAt: string | null;
};

/** torchvision's Resize(resize), CenterCrop(crop), ToTensor, Normalize(mean, std); defaults: the authors' (256, 224, ImageNet) */
export type ExtractionPreprocessing = {
  /** Shorter side after resizing (bilinear, antialiased); null: none */
  resize?: number | null;
  /** Side of the centre square kept; null: none */
  crop?: number | null;
  /** Per RGB channel, on [0, 1] images */
  mean?: number[];
  std?: number[];
};

export type CreateExtraction = {
  datasetId: string;
  /** Every image these subjects saw (e.g. ["subj01"]) */
  subjects?: string[];
  /** 0-based nsdIds (the index into the 73k images) */
  nsdIds?: number[];
  layers: {
    /** ONNX tensor name (GET /v1/models/{id}/network lists them) */
    tensor: string;
    /** Name of the layer it registers */
    name: string;
    /** Over positions: 'centre' (the authors' choice: the [H//2, W//2] unit of each channel; tokens: the centre patch), 'mean', 'max', 'flatten' (every position), 'cls' (tokens: the class token). N x D tensors are kept as they are. */
    pooling?: 'centre' | 'mean' | 'max' | 'flatten' | 'cls';
  }[];
  preprocessing?: ExtractionPreprocessing;
  /** Images per network run (memory; not part of the result) */
  batchSize?: number;
};

export type Sae = {
  id: string;
  layerId: string;
  origin: 'trained' | 'imported';
  status: 'pending' | 'training' | 'ready' | 'failed' | 'cancelled';
  k: number;
  latents: number;
  settings: Record<string, unknown>;
  preprocessing: Record<string, unknown>;
  /** Held-out FVU, mean L0 and dead-latent share (imports: on all of the layer, null until the evaluation job jobId completes) */
  metrics:
    | ({
        fvu: number | null;
        meanL0: number;
        deadShare: number;
        rows: number;
      } & Record<string, unknown>)
    | null;
  /** Per epoch: loss, auxLoss, heldOutFvu, heldOutMeanL0, heldOutDeadShare, trainDeadShare */
  curves: Record<string, unknown>[] | null;
  error: string | null;
  /** The job that trains it (trained) or computes its metrics (imported): GET /v1/jobs/{jobId} */
  jobId: string | null;
  createdAt: string;
  updatedAt: string;
};

export type ImportSae = {
  weights: {
    /** .safetensors or .npz with W_enc (d x m), b_enc (m), W_dec (m x d), b_dec (d); PyTorch layout accepted */
    path: string;
    /** math: W_enc d x m; torch: nn.Linear layout (m x d); auto: from the shapes */
    orientation?: 'auto' | 'math' | 'torch';
    /** The SAE subtracts b_dec from its input before encoding (SAELens/OpenAI style) */
    applyDecoderBiasToInput?: boolean;
  };
  /** TopK k (default: from the file) */
  k?: number;
  preprocessing?: {
    /** ReLU before LN (CNN layers) */
    clampNegative?: boolean;
    /** LN per sample over units */
    layerNorm?: boolean;
    /** delta degrees of freedom of the per-sample sd */
    ddof?: 0 | 1;
    /** added to the sd ('sd') or to the variance ('var') */
    eps?: number;
    epsPlacement?: 'sd' | 'var';
  };
};

export type TrainSaeSettings = {
  /** latents kept per sample (TopK) */
  k: number;
  /** latents = round(expansion x input width); paper 2 or 4 */
  expansion?: number;
  /** explicit latent count (overrides expansion; must be >= input width) */
  latents?: number;
  /** AuxK variant: 'authors' (align-interp train_sae.py, default), 'authors-toy' (toy_models.py), 'gao' (Gao et al. 2024) */
  auxK?: 'authors' | 'authors-toy' | 'gao';
  /** 'gao' only: dead latents used to model the residual; default min(latents, max(1, floor(d / 2)), 512). The authors' variants use every latent */
  kAux?: number;
  /** AuxK loss weight (paper: 1e-4 DNN layers, 0.1 toy) */
  auxKWeight?: number;
  /** steps without firing before a latent is dead: 'authors' default 32 (train_sae.py), 'gao' default one epoch of steps; unused by 'authors-toy' (dead = silent in the batch) */
  deadSteps?: number;
  /** 'kaiming-uniform': torch kaiming_uniform_ on W_enc (d x m) and W_dec (m x d), as sae.py; 'xavier-normal': as toy_models.py ToySAE */
  init?: 'kaiming-uniform' | 'xavier-normal';
  /** 'unit': W_enc = W_dec^T at init and decoder rows renormalised after every step (Gao et al.); the authors use 'none' */
  decoderNorm?: 'none' | 'unit';
  /** 'sum': squared error summed over units, batch mean (train_sae.py); 'mean': mean over all entries (toy_models.py) */
  reconstructionLoss?: 'sum' | 'mean';
  epochs?: number;
  batchSize?: number;
  /** drop the last partial batch of every epoch (train_sae.py DataLoader drop_last=True) */
  dropLast?: boolean;
  optimizer?: 'adam' | 'adamw';
  lr?: number;
  beta1?: number;
  beta2?: number;
  adamEps?: number;
  /** adam: L2 added to the gradient (default 0); adamw: decoupled (default 0.01, as PyTorch) */
  weightDecay?: number;
  /** share of samples held out for evaluation; 0 (default, as the authors) trains on every sample */
  heldOutFraction?: number;
  /** 'random': seeded random held-out rows; 'tail': the last rows (toy: first 80% train, last 20% test) */
  split?: 'random' | 'tail';
  /** reshuffle the training rows every epoch (seeded) */
  shuffle?: boolean;
  seed?: number;
  preprocessing?: {
    /** ReLU before LN (CNN layers) */
    clampNegative?: boolean;
    /** LN per sample over units */
    layerNorm?: boolean;
    /** delta degrees of freedom of the per-sample sd */
    ddof?: 0 | 1;
    /** added to the sd ('sd') or to the variance ('var') */
    eps?: number;
    epsPlacement?: 'sd' | 'var';
  };
};

export type AlignmentAccepted = {
  runs: {
    id: string;
    layerId: string;
    saeId: string | null;
    status: RunStatus;
    jobId: string | null;
    /** An identical request already existed */
    reused: boolean;
    links: {
      run: string;
      job: string | null;
      events: string | null;
    };
  }[];
};

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type CreateAlignment = {
  datasetId: string;
  subject: string | number;
  atlas: string;
  /** ROI names of the atlas ("V1v", or "lh.V1v"/"rh.V1v" for one hemisphere) or unions {name, members}; default: every ROI of the atlas with voxels */
  rois?: (string | RoiUnion)[];
  /** One run per layer */
  layerIds: string[];
  representation?: Representation;
  preset?: RidgePreset;
  score?: RidgeScore;
  /** Ridge alphas (default 10^-8..10^8, 17 values) */
  alphas?: number[];
  folds?: FoldsSpec;
  /** Noise-ceiling normalisation (NSD ncsnr ceiling, Allen et al. 2022), per voxel r|r| / (NC/100); the ROI's normalised value is the mean of these per-voxel ratios over its voxels with NC >= minPercent (not a ratio of means), with keptShare the share of voxels kept. Ridge runs whose targets the ceiling describes (presets encoding, centred-own-means, unit-norm-columns: Pearson r of the betas up to per-voxel affine maps) are normalised with minPercent 10 when this is absent. Asking for it with paper or paper-centred (targets layer-normed across the ROI's voxels, which the ceiling does not describe), a cosine score or another metric is a 400. */
  noiseCeiling?: {
    /** Voxels with NC below it are left out of the normalised ROI aggregate (default 10: ncsnr ~0.2 over 3 trials; 0 keeps every NC > 0) */
    minPercent?: number;
  };
  metric?: BrainMetric;
  /** rsa: true = per test fold (mean and sem over folds); false = once over all evaluated stimuli, as the authors compute their brain RSA */
  cv?: boolean;
  /** Refuse (400, naming the counts) a subject x layer whose layer shares fewer stimuli (0-based nsdIds) with the images the subject saw; default 50. Only admits the request: not part of what the run stores */
  minStimuli?: number;
  /** Keep per ROI the mean |beta| per source unit, per fold (GET /v1/runs/{id}/weights); costs about one more prediction per fold and ROI */
  ridgeWeights?: boolean;
};

/** A union of labels declared inline */
export type RoiUnion = {
  name: string;
  /** Labels (not groups); the ROI is their union */
  members: string[];
};

/** "neurons"; "sae" = the newest ready SAE of each layer; {saeId} = that SAE (its own layer); "random-sae" / {randomSaeOf: saeId} = the untrained twin of a trained SAE (same d, latents, k, preprocessing, seed and initialisation): the control every SAE gain is read against */
export type Representation =
  | 'neurons'
  | 'sae'
  | 'random-sae'
  | {
      saeId: string;
    }
  | {
      randomSaeOf: string;
    };

/** 'paper' (row LN, cosine: the authors' code at 96006be), 'paper-centred' (its Pearson variant), 'encoding' (z-scored columns, intercept, per-voxel alpha), 'centred-own-means' (the authors' code before arXiv v1: columns centred, each part with its own means), 'unit-norm-columns' (the authors' latest code: columns centred and scaled to unit norm, each part with its own statistics) */
export type RidgePreset = 'paper' | 'paper-centred' | 'encoding' | 'centred-own-means' | 'unit-norm-columns';

/** Fold score per voxel over the test images; default: the preset's ('paper': cosine, the others: pearson). Only 'paper' and 'paper-centred' accept the other one */
export type RidgeScore = 'cosine' | 'pearson';

/** {k, seed, order?, repeats?}: scikit-learn KFold(n_splits=k, shuffle=True, random_state=seed) over the images in ascending nsdId order (or in activation-file order); or an explicit assignment */
export type FoldsSpec =
  | {
      k?: number;
      seed?: number;
      /** Order KFold shuffles: 'nsdId' (default; the images in ascending nsdId), 'activations' (the layer's activation rows in file order) or 'subject' (the subject's images in the order NSD first showed them, as the authors' code: with k 5 and seed 42 it reproduces their folds; alignments and studies only) */
      order?: 'nsdId' | 'activations' | 'subject';
      /** Repeated K-fold (default 1): repeat r splits with KFold(k, shuffle=True, random_state=seed + r) in the same order; every run stores all k x repeats fold values; the corrected resampled t averages the corrected variance of each repeat, df k - 1 (calibrated: bench/results/stats-calibration.md). Ridge alignments and studies only; an explicit assignment is one split (repeats 1) */
      repeats?: number;
    }
  | {
      /** nsdId -> fold (0-based); the run evaluates exactly these images */
      assignment: Record<string, number>;
      /** Repeated K-fold (default 1): repeat r splits with KFold(k, shuffle=True, random_state=seed + r) in the same order; every run stores all k x repeats fold values; the corrected resampled t averages the corrected variance of each repeat, df k - 1 (calibrated: bench/results/stats-calibration.md). Ridge alignments and studies only; an explicit assignment is one split (repeats 1) */
      repeats?: number;
    };

/** ridge (the preset decides the rest); rsa (RDM = 1 - Pearson r between stimulus patterns, Pearson r between RDMs), semi-matching (per voxel the best unit on the training folds, scored by Pearson r on the test fold), soft-matching (optimal transport on the training Pearson matrix): units against the ROI voxels over the same folds */
export type BrainMetric = 'ridge' | 'rsa' | 'semi-matching' | 'soft-matching';

export type Study = {
  id: string;
  name: string | null;
  state: StudyState;
  createdAt: string;
  cancelledAt: string | null;
  inputs: {
    name: string | null;
    datasetId: string;
    subjects: string[];
    layerIds: string[];
    /** layerId -> preprocessing, for the layers that have one */
    layerPreprocessing?: Record<string, LayerPreprocessing>;
    cells: {
      subject: string;
      layerId: string;
      representation: string;
      saeId: string | null;
      selection?: {
        method: 'inner-cv';
        candidates: string[];
        innerFolds: number;
      };
    }[];
    rois: {
      name: string;
      atlas: string;
      members: {
        atlas: string;
        label: string;
        hemisphere: string;
      }[];
    }[];
    preset: string;
    score?: 'cosine' | 'pearson';
    alphas: number[];
    folds?: unknown;
    noiseCeiling?: {
      minPercent: number;
    };
    statistics?: {
      /** Bootstrap resamples of the held-out stimuli per paired cell */
      resamples: number;
      /** Random sign flips of the permutation test (exact enumeration when 2^stimuli is no more) */
      permutations: number;
      /** Bootstrap seed of the first ROI (ROI i: seed + i); every paired cell stores its own */
      seed: number;
    };
  };
  progress: {
    done: number;
    total: number;
    failed: number;
    cancelled: number;
    /** One job per subject x layer fits all of its representations (done, total count cells) */
    jobs: {
      done: number;
      total: number;
    };
    running: {
      runId: string;
      jobId: string | null;
      subject: string;
      layerId: string;
      representation: string;
      stage: string | null;
      fraction: number;
    }[];
  };
  cells: {
    runId: string;
    jobId: string | null;
    subject: string;
    layerId: string;
    representation: string;
    saeId: string | null;
    status: RunStatus;
    error: string | null;
  }[];
  /** One row per subject x layer x representation x ROI of every finished cell */
  results: StudyResultRow[];
  links: {
    self: string;
    events: string;
    comparisons: string;
  };
};

export type StudyState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type StudyResultRow = {
  subject: string;
  model: string;
  layer: string;
  layerId: string;
  representation: string;
  saeId: string | null;
  roi: string;
  atlas: string | null;
  value: number;
  sem: number | null;
  foldValues: number[];
  alphas: number[];
  nVoxels: number | null;
  /** Stimuli the score was computed on: the images both the layer and the subject's betas have (comparisons: both layers), over all folds. Null for scores stored before it */
  nStimuli: number | null;
  noiseCeiling: number | null;
  normalised: number | null;
  /** Score of the reference mapping under the same score and folds: each target (voxel or unit) predicted by its training mean for every test stimulus, scored as value is and averaged the same way. A cosine score's floor (high for non-negative targets such as ReLU'd units); 0 for Pearson r and for the metrics that centre (matching, RSA, CKA). Null for scores stored before it */
  baseline: number | null;
  runId: string;
  preprocessing: LayerPreprocessing;
  /** SAE rows: 'fixed' = one SAE named (or chosen) before the study, the same in every fold; else the inner-CV choice per outer fold with every candidate's inner score. null for neurons */
  saeSelection:
    | 'fixed'
    | {
        method: 'inner-cv';
        candidates: string[];
        innerFolds: number;
        innerSeed: number;
        criterion: string;
        folds: {
          fold: number;
          saeId: string;
          innerScores: Record<string, number | null>;
        }[];
      }
    | null;
};

export type CreateStudy = {
  name?: string;
  datasetId: string;
  /** Subject labels or numbers, or "all": every subject of the dataset (stored as their labels) */
  subjects: (string | number)[] | 'all';
  layerIds: string[];
  /** "neurons"; "sae" = the newest ready SAE of each layer; {saeId} = that SAE on its own layer; "random-sae" / {randomSaeOf} = the untrained twin of a trained SAE (the control); {selectSae: "inner-cv", candidates: [saeId, ...]} = one of several SAEs of a layer, chosen per outer fold on its training part only */
  representations?: StudyRepresentation[];
  rois: StudyRoi[];
  preset?: RidgePreset;
  score?: RidgeScore;
  /** Ridge alphas (default 10^-8..10^8, 17 values) */
  alphas?: number[];
  folds?: FoldsSpec;
  /** Noise-ceiling normalisation (NSD ncsnr ceiling, Allen et al. 2022), per voxel r|r| / (NC/100); the ROI's normalised value is the mean of these per-voxel ratios over its voxels with NC >= minPercent (not a ratio of means), with keptShare the share of voxels kept. Ridge runs whose targets the ceiling describes (presets encoding, centred-own-means, unit-norm-columns: Pearson r of the betas up to per-voxel affine maps) are normalised with minPercent 10 when this is absent. Asking for it with paper or paper-centred (targets layer-normed across the ROI's voxels, which the ceiling does not describe), a cosine score or another metric is a 400. */
  noiseCeiling?: {
    /** Voxels with NC below it are left out of the normalised ROI aggregate (default 10: ncsnr ~0.2 over 3 trials; 0 keeps every NC > 0) */
    minPercent?: number;
  };
  metric?: BrainMetric;
  /** rsa: true = per test fold (mean and sem over folds); false = once over all evaluated stimuli, as the authors compute their brain RSA */
  cv?: boolean;
  /** Refuse (400, naming the counts) a subject x layer whose layer shares fewer stimuli (0-based nsdIds) with the images the subject saw; default 50. Only admits the request: not part of what the run stores */
  minStimuli?: number;
  /** The conditional stimulus-level statistics of every pair of representations of a layer (bootstrap interval and sign-flip p, conditional on the first repeat's fitted models; reported beside the corrected resampled t headline; default {resamples: 1000, permutations: 9999, seed: 0}) */
  statistics?: {
    /** Bootstrap resamples of the held-out stimuli per paired cell */
    resamples?: number;
    /** Random sign flips of the permutation test (exact enumeration when 2^stimuli is no more) */
    permutations?: number;
    /** Bootstrap seed of the first ROI (ROI i: seed + i); every paired cell stores its own */
    seed?: number;
  };
};

export type StudyRepresentation =
  | 'neurons'
  | 'sae'
  | 'random-sae'
  | {
      saeId: string;
    }
  | {
      randomSaeOf: string;
    }
  | SelectSae;

/** Several SAEs of one layer; per subject x layer and outer fold, an inner K-fold over that fold's training stimuli scores each candidate's ridge mapping (mean over ROIs of the inner CV score) and the best one predicts the fold's test stimuli: the choice never sees the test stimuli. Stored per fold with the inner scores (results[].saeSelection); a representation naming one SAE reads saeSelection 'fixed' */
export type SelectSae = {
  selectSae: 'inner-cv';
  candidates: string[];
  /** Inner folds (default 5) */
  innerFolds?: number;
};

export type StudyRoi = string | RoiUnion;

export type StudyPage = {
  items: Study[];
  total: number;
  limit: number;
  offset: number;
};

export type StudyComparisons = {
  studyId: string;
  a: string;
  b: string;
  adjust: 'bh' | 'holm';
  acrossSubjectsMethod: 'sign-flip' | 'hierarchical-bootstrap';
  cells: ComparisonCell[];
  acrossSubjects: AcrossSubjectsRow[];
};

export type ComparisonCell = {
  subject: string;
  /** a's layer */
  layerId: string;
  layerName: string;
  /** b's layer (a's unless two layers' cells are compared) */
  bLayerId: string;
  bLayerName: string;
  roi: string;
  a: number;
  b: number;
  /** b - a: mean over folds (every repeat) of the per-fold differences */
  difference: number;
  /** The headline 95% interval: Nadeau-Bengio corrected resampled t over the per-fold differences (variance factor 1/K + n_test/n_train, df K - 1; with repeats the variance of each repeat averaged), calibrated in bench/results/stats-calibration.md */
  ci: {
    lower: number | null;
    upper: number | null;
    sem: number | null;
    p: number | null;
    df: number;
  };
  /** The method of ci */
  interval: 'corrected-resampled-t';
  /** The headline p: two-sided corrected resampled t-test of the per-fold differences */
  p: number | null;
  pMethod: 'corrected-resampled-t';
  /** p adjusted across all cells of this table (adjust=bh: BH q-value; holm: Holm adjusted p) */
  q: number | null;
  /** Fold values per representation: K x repeats */
  nFolds: number;
  /** Repeats of K-fold (folds.repeats) */
  repeats: number;
  /** Plain 95% t interval and t-test over the per-fold differences (folds share training data: too narrow; descriptive) */
  foldCi: {
    lower: number | null;
    upper: number | null;
    sem: number | null;
    p: number | null;
  };
  /** 95% percentile interval over resampled held-out stimuli (seeded: {seed, nResamples} regenerate every resample), conditional on the first repeat's fitted models: it ignores the variability of refitting and is too narrow as an answer to 'is b better than a'; null when the held-out predictions were not kept */
  conditionalBootstrapCi: {
    lower: number;
    upper: number;
    se: number;
    nResamples: number;
    seed: number | null;
  } | null;
  /** Sign-flip permutation p over stimuli, conditional on the same fitted models (null when the held-out predictions were not kept) */
  conditionalPermutationP: number | null;
  permutation: {
    exact: boolean;
    nPermutations: number;
  } | null;
  nStimuli: number | null;
  /** Noise-ceiling-normalised values where the preset gives them */
  normalised: {
    a: number | null;
    b: number | null;
    difference: number | null;
  };
};

export type AcrossSubjectsRow = {
  layerId: string;
  layerName: string;
  bLayerId: string;
  bLayerName: string;
  roi: string;
  nSubjects: number;
  /** Mean over subjects of the per-subject differences b - a */
  mean: number;
  /** Cohen's dz: mean / sd (n - 1) of the per-subject differences */
  dz: number | null;
  /** The test behind p, q and minAttainableP (query acrossSubjects) */
  method: 'sign-flip' | 'hierarchical-bootstrap';
  /** method sign-flip: exact sign-flip test over subjects, two-sided p over all 2^n sign vectors of the per-subject differences (scipy.stats.permutation_test, permutation_type="samples"); 99,999 seeded random flips beyond 16 subjects. method hierarchical-bootstrap: two-sided p from the null-centred bootstrap distribution, (1 + #{|mean* - mean| >= |mean|}) / (B + 1); null when it cannot be computed (note) */
  p: number | null;
  /** p adjusted across the rows of this table (adjust=bh: q-value; holm: adjusted p) */
  q: number | null;
  pMethod:
    | 'exact sign-flip over subjects'
    | 'sign-flip over subjects (random flips)'
    | 'hierarchical bootstrap over subjects then stimuli';
  /** The smallest p the method can give: 2 / 2^n for the sign-flip over n subjects (0.125 for 4), 1 / (B + 1) for the hierarchical bootstrap */
  minAttainableP: number | null;
  /** The sign-flip p over subjects, whichever method gives p */
  signFlipP: number | null;
  /** method hierarchical-bootstrap: 95% percentile interval of the mean difference over B resamples of subjects, then of each drawn subject's held-out stimuli (conditional on the fitted models); null otherwise or when it cannot be computed */
  hierarchicalBootstrap: {
    lower: number;
    upper: number;
    se: number;
    level: number;
    nResamples: number;
    seed: number | null;
    /** Equally likely ordered subject draws, n^n (256 for 4 subjects) */
    subjectDraws: number;
  } | null;
  /** Why hierarchicalBootstrap is null under method hierarchical-bootstrap */
  note: string | null;
  nPermutations: number;
  /** Subjects whose difference has the sign of the mean */
  agreeing: number;
  /** Subjects where b - a > 0 */
  wins: number;
  losses: number;
  ties: number;
  sem: number | null;
  /** 95% Student-t interval of the mean (assumes normal per-subject differences) */
  lower: number | null;
  upper: number | null;
  t: number | null;
  df: number;
  /** One-sample t-test of the per-subject differences */
  tP: number | null;
  /** Signed-rank test with scipy.stats.wilcoxon defaults (scipy >= 1.13) */
  wilcoxon: {
    statistic: number;
    p: number | null;
    method: string;
  };
};

export type ComparisonAccepted = {
  id: string;
  status: RunStatus;
  jobId: string | null;
  reused: boolean;
  links: {
    run: string;
    job: string | null;
    events: string | null;
  };
};

export type CreateComparison = {
  source: {
    layerId: string;
    representation?: Representation;
  };
  target: {
    layerId: string;
    representation?: Representation;
  };
  metric: ComparisonMetric;
  preset?: RidgePreset;
  alphas?: number[];
  folds?: FoldsSpec;
  /** rsa, cka, cka-debiased: true = mean over the test folds (nothing is fitted); false = once over all stimuli the folds cover, as the authors compute RSA (no fold values, no sem) */
  cv?: boolean;
};

/** cka-debiased: linear CKA from the unbiased HSIC (Song et al. 2012); the biased 'cka' is inflated when stimuli are few relative to units */
export type ComparisonMetric = 'ridge' | 'semi-matching' | 'soft-matching' | 'rsa' | 'cka' | 'cka-debiased';

export type ComparisonMatrix = {
  metric: ComparisonMetric;
  representation: 'neurons' | 'sae' | 'random-sae';
  sourceLayers: {
    id: string;
    name: string;
  }[];
  targetLayers: {
    id: string;
    name: string;
  }[];
  /** values[source layer][target layer]; null where not computed */
  values: (number | null)[][];
  sem: (number | null)[][];
  /** baseline[source layer][target layer]: score of the reference mapping under the same score and folds: each target (voxel or unit) predicted by its training mean for every test stimulus, scored as value is and averaged the same way. A cosine score's floor (high for non-negative targets such as ReLU'd units); 0 for Pearson r and for the metrics that centre (matching, RSA, CKA). Null for scores stored before it. It depends on the target layer's representation only (cosine ridge: ~0.5 on ReLU'd neurons, lower on sparse latents), so compare a value with its own floor */
  baseline: (number | null)[][];
};

export type Experiment = {
  id: string;
  kind: string;
  status: RunStatus;
  options: Record<string, unknown>;
  /** Per N: semi-/soft-matching and ridge between the two models as neurons and as SAE latents (mean, SEM, folds), best |r| of units with the ground-truth features, SAE FVU/L0/dead share, feature overlap ||W1_i|| ||W2_i|| statistics (results: replicate 0; replicates: every replicate; summary: per N and statistic the mean over replicates with its 95% t interval) */
  result: Record<string, unknown> | null;
  error: string | null;
  jobId: string | null;
  createdAt: string;
  finishedAt: string | null;
};

export type ToySuperpositionOptions = {
  /** Hidden neurons N per model pair (paper: 8, 16, 32) */
  hiddenSizes?: number[];
  nFeatures?: number;
  featureProb?: number;
  /** AdamW steps per toy model (paper: 10,000) */
  modelSteps?: number;
  /** Rows of the shared data set: both models train on it in order (wrapping when steps x 1024 exceeds it), the SAEs on the first 80% of its activations, metrics on the rest */
  samples?: number;
  /** Initialisation seeds of the two models; both train on the same data set in the same order (toy_models.py) */
  seeds?: [number, number];
  /** Seed of the one data set shared by every model */
  dataSeed?: number;
  /** Feature importance: 'powerlaw' (1 + 2i/F)^-2 (b589eb7, the paper's runs) or 'uniform' (96006be default) */
  importance?: 'powerlaw' | 'uniform';
  sae?: {
    latents?: number;
    k?: number;
    auxWeight?: number;
    lr?: number;
    batchSize?: number;
    /** Initialisation seed of both SAEs (the authors reseed with 0 before each) */
    seed?: number;
    auxK?: 'authors' | 'authors-toy' | 'gao';
    init?: 'kaiming-uniform' | 'xavier-normal';
    decoderNorm?: 'none' | 'unit';
  };
  folds?: number;
  foldSeed?: number;
  ridge?: boolean;
  /** Replicates: replicate r re-runs every N with model seeds seeds + 2r and SAE seed sae.seed + r on the same data set; the result gives per N each statistic's mean over replicates and a 95% Student-t interval over them (summary), every replicate (replicates) and replicate 0 as results */
  replicates?: number;
};

export type Run = {
  id: string;
  kind: 'alignment' | 'comparison';
  status: RunStatus;
  /** Ridge preset (RidgePreset) or comparison metric */
  method: string;
  inputs: Record<string, unknown>;
  datasetId: string | null;
  subject: string | null;
  atlas: string | null;
  layerId: string | null;
  representation: string;
  saeId: string | null;
  targetLayerId: string | null;
  targetRepresentation: string | null;
  backend: string | null;
  versions: Record<string, unknown> | null;
  timings: Record<string, number> | null;
  error: string | null;
  jobId: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  scores: RoiScore[];
};

export type RoiScore = {
  /** ROI name (alignment) or target description (comparison) */
  roi: string;
  /** Mean over folds of the fold score */
  value: number;
  /** Standard error of the mean across folds (sd with ddof=1 / sqrt(K)) */
  sem: number | null;
  /** Median over voxels of the voxel scores (encoding preset) */
  median: number | null;
  foldValues: number[];
  nVoxels: number | null;
  /** Chosen alpha per fold (paper presets), or per-voxel median per fold (encoding) */
  alphas: number[];
  /** Mean noise ceiling of the ROI voxels (percent of explainable variance) */
  noiseCeiling: number | null;
  /** Mean over the ROI's voxels with NC >= minPercent of r|r| / (NC/100) (a mean of per-voxel ratios, not a ratio of means); null where the ceiling does not describe the scores (paper presets, cosine, other metrics) */
  normalised: number | null;
  /** Share of voxels kept by the minimum noise ceiling */
  keptShare: number | null;
  /** Score of the reference mapping under the same score and folds: each target (voxel or unit) predicted by its training mean for every test stimulus, scored as value is and averaged the same way. A cosine score's floor (high for non-negative targets such as ReLU'd units); 0 for Pearson r and for the metrics that centre (matching, RSA, CKA). Null for scores stored before it */
  baseline: number | null;
  /** Stimuli the score was computed on: the images both the layer and the subject's betas have (comparisons: both layers), over all folds. Null for scores stored before it */
  nStimuli: number | null;
};

export type Folds = {
  runId: string;
  k: number;
  /** Seed when the folds came from {k, seed} (scikit-learn KFold(shuffle=True, random_state=seed) order) */
  seed: number | null;
  /** Repeats of K-fold (repeat r split with seed + r); assignment is the first repeat */
  repeats: number;
  /** nsdId -> fold (0-based) of the first repeat; pass it back as folds.assignment to reproduce a one-repeat run */
  assignment: Record<string, number>;
  /** Test stimuli per fold */
  counts: number[];
};

export type VoxelResults = {
  runId: string;
  /** (X, Y, Z) of the subject space */
  volumeShape: number[];
  /** Flat voxel index x + X*(y + Y*z) */
  indices: number[];
  /** Mean over folds of the voxel score (null: dropped as dead) */
  values: (number | null)[];
  /** ROI of each entry. Without ?roi= a voxel in several ROIs (nsdgeneral holds V1v) appears once per ROI, each with that ROI's fit */
  roi: string[];
  /** Every ROI of the run, in fit order (what ?roi= accepts) */
  rois: string[];
};

export type RunWeights = {
  runId: string;
  roi: string;
  /** Over the ROI voxels kept in the fit: mean |beta|, or the L2 norm of beta */
  stat: 'meanAbs' | 'l2';
  /** Source unit (neuron or SAE latent) indices; dead units are absent */
  units: number[];
  /** Mean over folds, per unit */
  mean: number[];
  /** folds[k][i]: fold k, unit units[i] */
  folds: number[][];
};

export type ScorePage = {
  items: ScoreItem[];
  total: number;
  limit: number;
  offset: number;
};

export type ScoreItem = {
  id: string;
  runId: string;
  kind: 'alignment' | 'comparison';
  datasetId: string | null;
  modelId: string | null;
  layerId: string | null;
  layerName: string | null;
  representation: string;
  saeId: string | null;
  /** Preset (alignment) or metric (comparison) */
  preset: string;
  subject: string | null;
  atlas: string | null;
  roi: string;
  value: number;
  sem: number | null;
  foldValues: number[];
  nVoxels: number | null;
  alphas: number[];
  noiseCeiling: number | null;
  normalised: number | null;
  /** Score of the reference mapping under the same score and folds: each target (voxel or unit) predicted by its training mean for every test stimulus, scored as value is and averaged the same way. A cosine score's floor (high for non-negative targets such as ReLU'd units); 0 for Pearson r and for the metrics that centre (matching, RSA, CKA). Null for scores stored before it */
  baseline: number | null;
  /** Stimuli the score was computed on: the images both the layer and the subject's betas have (comparisons: both layers), over all folds. Null for scores stored before it */
  nStimuli: number | null;
  createdAt: string;
};

export type ScoreMatrix = {
  modelId: string;
  subject: string;
  atlas: string;
  preset: string;
  representation: 'neurons' | 'sae' | 'difference';
  layers: {
    id: string;
    name: string;
    position: number;
  }[];
  rois: string[];
  /** values[layer][roi]; null where no score exists */
  values: (number | null)[][];
  /** SEM across folds; for the difference, of the per-fold differences */
  sem: (number | null)[][];
  /** neurons and sae only: baseline[layer][roi], score of the reference mapping under the same score and folds: each target (voxel or unit) predicted by its training mean for every test stimulus, scored as value is and averaged the same way. A cosine score's floor (high for non-negative targets such as ReLU'd units); 0 for Pearson r and for the metrics that centre (matching, RSA, CKA). Null for scores stored before it (the same for every representation of a subject's ROI: it depends on the targets and folds only, so the difference has none) */
  baseline?: (number | null)[][];
  /** difference only: lower end of the 95% corrected resampled t interval (Nadeau-Bengio: variance factor 1/K + n_test/n_train over the per-fold differences, df K - 1, the variance of each repeat averaged over folds.repeats; folds share training data) */
  lower?: (number | null)[][];
  /** difference only: upper end of that interval */
  upper?: (number | null)[][];
  /** difference only: two-sided corrected resampled t-test of the per-fold differences */
  p?: (number | null)[][];
  /** difference only: the method of lower, upper and p per cell */
  interval?: ('corrected-resampled-t' | null)[][];
  /** difference only: Benjamini-Hochberg q-values of p across the non-null cells of this matrix */
  q?: (number | null)[][];
  /** difference only: stimulus bootstrap interval (lower end) where a study job stored one for these runs; conditional on the fitted models (ignores refitting variability), not the headline */
  conditionalBootstrapLower?: (number | null)[][];
  /** difference only: its upper end */
  conditionalBootstrapUpper?: (number | null)[][];
  /** difference only: sign-flip permutation p over stimuli where stored; conditional on the fitted models, not the headline */
  conditionalPermutationP?: (number | null)[][];
};

export type Job = {
  id: string;
  kind: string;
  state: JobState;
  progress: JobProgress;
  error: string | null;
  failure: JobFailure;
  /** retrying or lost: the earliest time the job runs again, on any live worker of its kind */
  retryAt: string | null;
  /** The worker (GET /v1/workers) of the latest attempt */
  workerId: string | null;
  runId: string | null;
  saeId: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
};

/** retrying: an attempt failed and the job waits for its next try (retryAt); lost: its worker stopped heart-beating (killed, machine gone) and the job waits for a retry on any live worker (retryAt) */
export type JobState = 'queued' | 'running' | 'retrying' | 'lost' | 'completed' | 'failed' | 'cancelling' | 'cancelled';

export type JobProgress = {
  stage: string;
  done: number;
  total: number;
  fraction: number;
  message?: string;
  updatedAt?: string;
} | null;

/** Why the latest attempt failed (also while the job is retried) */
export type JobFailure = {
  /** lost-worker: the worker stopped heart-beating; out-of-memory: an allocation failed; missing-artefact: a stored file is missing or corrupt; invalid-data: the data did not pass validation; internal: anything else */
  kind: 'lost-worker' | 'out-of-memory' | 'missing-artefact' | 'invalid-data' | 'internal';
  message: string;
} | null;

export type Workers = {
  workers: Worker[];
  /** One entry per job kind */
  queue: QueueKind[];
  /** A worker silent this long is gone and its jobs are lost (ALIGN_JOB_STALE_SECONDS) */
  goneAfterSeconds: number;
  /** A gone worker leaves this list after this long (ALIGN_WORKER_PRUNE_SECONDS) */
  pruneAfterSeconds: number;
};

export type Worker = {
  id: string;
  host: string;
  pid: number;
  version: string;
  /** Jobs of each kind this process runs at once (ALIGN_WORKERS) */
  slots: number;
  /** gone: no heartbeat for goneAfterSeconds (killed, machine lost); its running jobs are lost and retried */
  status: 'live' | 'gone';
  startedAt: string;
  lastSeenAt: string;
  lastSeenSecondsAgo: number;
  /** Running, being cancelled, or lost with this worker */
  jobs: WorkerJob[];
};

export type WorkerJob = {
  id: string;
  kind: string;
  state: JobState;
  stage: string | null;
  done: number | null;
  total: number | null;
};

export type QueueKind = {
  kind: string;
  /** Queued, or back in the queue after a failed or lost attempt */
  waiting: number;
  running: number;
  /** Waiting for a retry because their worker vanished */
  lost: number;
  oldestWaitingSince: string | null;
  oldestWaitingSeconds: number | null;
};
