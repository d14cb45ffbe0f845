/**
 * Training settings: zod schema (reusable by HTTP/OpenAPI), defaults (paper settings), and resolution against
 * the data (latent count, kAux, deadSteps, split sizes). Bad values throw SaeValidationError naming the field.
 */
import { z } from 'zod';
import { intColumn } from '../db/columns';
import { SaeValidationError } from './errors';
import { DEFAULT_PREPROCESSING, type SaePreprocessing } from './model';

export const SaePreprocessingSchema = z
  .object({
    clampNegative: z.boolean().describe('ReLU before LN (CNN layers)'),
    layerNorm: z.boolean().describe('LN per sample over units'),
    ddof: z.union([z.literal(0), z.literal(1)]).describe('delta degrees of freedom of the per-sample sd'),
    eps: z.number().min(0).describe("added to the sd ('sd') or to the variance ('var')"),
    epsPlacement: z.enum(['sd', 'var']),
  })
  .partial()
  .strict();

export const SaeTrainSettingsSchema = z
  .object({
    k: intColumn({ min: 1 }).describe('latents kept per sample (TopK)'),
    expansion: z.number().min(1).default(2).describe('latents = round(expansion x input width); paper 2 or 4'),
    latents: intColumn({ min: 1 }).optional().describe('explicit latent count (overrides expansion; must be >= input width)'),
    kAux: z.number().int().positive().optional().describe('AuxK: dead latents used to model the residual; default min(latents, max(1, floor(d / 2)), 512)'),
    auxKWeight: z.number().min(0).default(1e-4).describe('AuxK loss weight (paper: 1e-4 DNN layers, 0.1 toy)'),
    deadSteps: z.number().int().positive().optional().describe('a latent is dead after this many steps without firing; default one epoch of steps'),
    epochs: z.number().int().positive().default(100),
    batchSize: z.number().int().positive().default(64),
    optimizer: z.enum(['adam', 'adamw']).default('adam'),
    lr: z.number().positive().default(4e-4),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    adamEps: z.number().positive().default(6.25e-10),
    weightDecay: z.number().min(0).optional().describe('adam: L2 added to the gradient (default 0); adamw: decoupled (default 0.01, as PyTorch)'),
    heldOutFraction: z.number().min(0).lt(1).default(0.1).describe('share of samples held out for evaluation'),
    split: z.enum(['random', 'tail']).default('random').describe("'random': seeded random held-out rows; 'tail': the last rows (toy: first 80% train, last 20% test)"),
    shuffle: z.boolean().default(true).describe('reshuffle the training rows every epoch (seeded)'),
    seed: z.number().int().default(0),
    preprocessing: SaePreprocessingSchema.optional(),
  })
  .strict();

export type SaeTrainSettingsInput = z.input<typeof SaeTrainSettingsSchema>;

/** Settings with every value decided for a given data set (stored with the trained SAE). */
export interface ResolvedSaeTrainSettings {
  k: number;
  latents: number;
  kAux: number;
  auxKWeight: number;
  deadSteps: number;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'adamw';
  lr: number;
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
  heldOutFraction: number;
  split: 'random' | 'tail';
  shuffle: boolean;
  heldOutRows: number;
  trainRows: number;
  seed: number;
  preprocessing: SaePreprocessing;
}

/** Validate `input` against the schema and the data shape (n samples x d units). */
export function resolveTrainSettings(input: unknown, n: number, d: number): ResolvedSaeTrainSettings {
  const parsed = SaeTrainSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') path.push(String(issue.keys[0]));
    throw new SaeValidationError(path.length ? path.join('.') : 'settings', issue.message);
  }
  const s = parsed.data;
  const latents = s.latents ?? Math.round(s.expansion * d);
  if (s.latents !== undefined && s.latents < d) throw new SaeValidationError('latents', `must be >= the input width ${d} (expansion >= 1), got ${s.latents}`);
  if (s.k > latents) throw new SaeValidationError('k', `k = ${s.k} exceeds the number of latents ${latents}`);
  const kAux = s.kAux ?? Math.min(latents, Math.max(1, Math.floor(d / 2)), 512);
  if (kAux > latents) throw new SaeValidationError('kAux', `kAux = ${kAux} exceeds the number of latents ${latents}`);
  const heldOutRows = Math.round(n * s.heldOutFraction);
  const trainRows = n - heldOutRows;
  if (trainRows < 1) throw new SaeValidationError('X', `no training samples (n = ${n}, heldOutFraction = ${s.heldOutFraction})`);
  const batchSize = Math.min(s.batchSize, trainRows);
  const stepsPerEpoch = Math.ceil(trainRows / batchSize);
  return {
    k: s.k,
    latents,
    kAux,
    auxKWeight: s.auxKWeight,
    deadSteps: s.deadSteps ?? stepsPerEpoch,
    epochs: s.epochs,
    batchSize,
    optimizer: s.optimizer,
    lr: s.lr,
    beta1: s.beta1,
    beta2: s.beta2,
    adamEps: s.adamEps,
    weightDecay: s.weightDecay ?? (s.optimizer === 'adamw' ? 0.01 : 0),
    heldOutFraction: s.heldOutFraction,
    split: s.split,
    shuffle: s.shuffle,
    heldOutRows,
    trainRows,
    seed: s.seed,
    preprocessing: { ...DEFAULT_PREPROCESSING, ...(s.preprocessing ?? {}) },
  };
}
