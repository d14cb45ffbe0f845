/**
 * Training settings: zod schema (reusable by HTTP/OpenAPI), defaults (paper settings), and resolution against
 * the data (latent count, kAux, deadSteps, split sizes). Bad values throw SaeValidationError naming the field.
 */
import { z } from 'zod';
import { intColumn } from '../int-columns';
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

/**
 * AuxK variants (the auxiliary loss that revives dead latents). Both authors' variants follow
 * cest-andre/align-interp at commit 96006be (also b589eb7):
 * - 'authors' (sae.py SAE.encode / train_sae.py): a latent is dead when its counter c exceeds deadSteps
 *   (32), with c <- c * [no firing in this batch] + 1 updated before the mask; k_aux = every latent
 *   (auxk=int(num_dims*expansion)), so the aux code is the dead latents' raw pre-activations (no ReLU, negatives
 *   kept); aux reconstruction includes b_dec; target x - x^ NOT detached; and because the mask is applied
 *   through `x.data *= dead_mask`, autograd does not see it: the aux gradient reaches EVERY latent's
 *   pre-activation (straight-through), while only dead latents contribute to the forward value.
 * - 'authors-toy' (toy_models.py ToySAE.forward / train_sae): dead = no firing in this batch, mask
 *   `is_dead * preact_feats` (a real product: gradient to dead latents only), otherwise as 'authors'.
 * - 'gao' (Gao et al. 2024): dead = no firing for deadSteps steps counted before this step, TopK_kAux of the dead
 *   pre-activations, ReLU, no b_dec, residual target detached.
 */
export const AUXK_VARIANTS = ['authors', 'authors-toy', 'gao'] as const;
export type AuxKVariant = (typeof AUXK_VARIANTS)[number];

export const SaeTrainSettingsSchema = z
  .object({
    k: intColumn({ min: 1 }).describe('latents kept per sample (TopK)'),
    expansion: z.number().min(1).default(2).describe('latents = round(expansion x input width); paper 2 or 4'),
    latents: intColumn({ min: 1 })
      .optional()
      .describe('explicit latent count (overrides expansion; must be >= input width)'),
    auxK: z
      .enum(AUXK_VARIANTS)
      .default('authors')
      .describe(
        "AuxK variant: 'authors' (align-interp train_sae.py, default), 'authors-toy' (toy_models.py), 'gao' (Gao et al. 2024)",
      ),
    kAux: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "'gao' only: dead latents used to model the residual; default min(latents, max(1, floor(d / 2)), 512). The authors' variants use every latent",
      ),
    auxKWeight: z.number().min(0).default(1e-4).describe('AuxK loss weight (paper: 1e-4 DNN layers, 0.1 toy)'),
    deadSteps: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "steps without firing before a latent is dead: 'authors' default 32 (train_sae.py), 'gao' default one epoch of steps; unused by 'authors-toy' (dead = silent in the batch)",
      ),
    init: z
      .enum(['kaiming-uniform', 'xavier-normal'])
      .default('kaiming-uniform')
      .describe(
        "'kaiming-uniform': torch kaiming_uniform_ on W_enc (d x m) and W_dec (m x d), as sae.py; 'xavier-normal': as toy_models.py ToySAE",
      ),
    decoderNorm: z
      .enum(['none', 'unit'])
      .default('none')
      .describe(
        "'unit': W_enc = W_dec^T at init and decoder rows renormalised after every step (Gao et al.); the authors use 'none'",
      ),
    reconstructionLoss: z
      .enum(['sum', 'mean'])
      .default('sum')
      .describe(
        "'sum': squared error summed over units, batch mean (train_sae.py); 'mean': mean over all entries (toy_models.py)",
      ),
    epochs: z.number().int().positive().default(100),
    batchSize: z.number().int().positive().default(64),
    dropLast: z
      .boolean()
      .default(true)
      .describe('drop the last partial batch of every epoch (train_sae.py DataLoader drop_last=True)'),
    optimizer: z.enum(['adam', 'adamw']).default('adam'),
    lr: z.number().positive().default(4e-4),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    adamEps: z.number().positive().default(6.25e-10),
    weightDecay: z
      .number()
      .min(0)
      .optional()
      .describe('adam: L2 added to the gradient (default 0); adamw: decoupled (default 0.01, as PyTorch)'),
    heldOutFraction: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('share of samples held out for evaluation; 0 (default, as the authors) trains on every sample'),
    split: z
      .enum(['random', 'tail'])
      .default('random')
      .describe("'random': seeded random held-out rows; 'tail': the last rows (toy: first 80% train, last 20% test)"),
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
  auxK: AuxKVariant;
  /** Latents the aux code may use ('authors' variants: every latent). */
  kAux: number;
  auxKWeight: number;
  /** Dead threshold in steps ('authors-toy': 1, the batch itself). */
  deadSteps: number;
  init: 'kaiming-uniform' | 'xavier-normal';
  decoderNorm: 'none' | 'unit';
  reconstructionLoss: 'sum' | 'mean';
  epochs: number;
  batchSize: number;
  dropLast: boolean;
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
  if (s.latents !== undefined && s.latents < d)
    throw new SaeValidationError('latents', `must be >= the input width ${d} (expansion >= 1), got ${s.latents}`);
  if (s.k > latents) throw new SaeValidationError('k', `k = ${s.k} exceeds the number of latents ${latents}`);
  const gao = s.auxK === 'gao';
  if (!gao && s.kAux !== undefined && s.kAux !== latents) {
    throw new SaeValidationError(
      'kAux',
      `the '${s.auxK}' AuxK uses every latent (${latents}); kAux applies to 'gao' only`,
    );
  }
  const kAux = gao ? (s.kAux ?? Math.min(latents, Math.max(1, Math.floor(d / 2)), 512)) : latents;
  if (kAux > latents) throw new SaeValidationError('kAux', `kAux = ${kAux} exceeds the number of latents ${latents}`);
  const heldOutRows = Math.round(n * s.heldOutFraction);
  const trainRows = n - heldOutRows;
  if (trainRows < 1)
    throw new SaeValidationError('X', `no training samples (n = ${n}, heldOutFraction = ${s.heldOutFraction})`);
  const batchSize = Math.min(s.batchSize, trainRows);
  const stepsPerEpoch = s.dropLast ? Math.floor(trainRows / batchSize) : Math.ceil(trainRows / batchSize);
  const deadSteps = s.auxK === 'authors-toy' ? 1 : (s.deadSteps ?? (gao ? stepsPerEpoch : 32));
  return {
    k: s.k,
    latents,
    auxK: s.auxK,
    kAux,
    auxKWeight: s.auxKWeight,
    deadSteps,
    init: s.init,
    decoderNorm: s.decoderNorm,
    reconstructionLoss: s.reconstructionLoss,
    epochs: s.epochs,
    batchSize,
    dropLast: s.dropLast,
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
