/**
 * What a model-to-model comparison is: one metric between two layers (each as neurons or SAE latents) over the
 * stimuli both have, cross-validated over the same folds; its inputs, request check and hash (POST
 * /v1/comparisons). Computing one: comparison-runs.ts.
 */
import { layerPreprocessingOf, type LayerPreprocessing } from '../activations/preprocessing';
import { isWholeSetMetric, storedMethod, WHOLE_SET_METRICS, type ComparisonMetric } from '../compute/metrics/registry';
import type { RidgePreset } from '../compute/ridge/presets';
import type { Db } from '../db/client';
import { type FieldError, ValidationError } from '../errors';
import type { JobQueue } from '../queue/queue';
import { canonicalFolds, foldsSpecErrors, type FoldsSpec } from './folds';
import {
  representationKind,
  resolveRepresentation,
  type RepresentationKind,
  type RepresentationRequest,
} from './representations';
import { requestHash } from './request-hash';
import { createOrReuseRun, type QueuedRun } from './runs';

export interface ComparisonSide {
  layerId: string;
  /** 'random-sae': the untrained twin of SAE saeId. */
  representation: RepresentationKind;
  saeId: string | null;
  /** The layer's preprocessing (applied where its activations are read), when it has one. */
  preprocessing?: LayerPreprocessing;
}

export interface ComparisonInputs {
  source: ComparisonSide;
  target: ComparisonSide;
  metric: ComparisonMetric;
  preset: RidgePreset;
  alphas?: number[];
  /** Order 'activations': the source layer's activation rows in file order. */
  folds: FoldsSpec;
  /** rsa / cka: false = once over all the folds' stimuli (absent = cross-validated). */
  cv?: false;
}

export interface ComparisonRequest {
  source: { layerId: string; representation: RepresentationRequest };
  target: { layerId: string; representation: RepresentationRequest };
  metric: ComparisonMetric;
  preset: RidgePreset;
  alphas?: number[];
  folds: FoldsSpec;
  cv: boolean;
}

/** What a comparison's score is filed under as its target (Score.target). */
export function comparisonTargetLabel(target: ComparisonSide, layerName: string): string {
  return `${layerName}:${target.representation}`;
}

export function comparisonRequestHash(inputs: ComparisonInputs): string {
  return requestHash('comparison', inputs);
}

/** One side's layer and representation (the SAE must be the layer's own); errors name `field`. */
async function resolveSide(
  prisma: Db,
  side: ComparisonRequest['source'],
  field: string,
  errors: FieldError[],
): Promise<ComparisonSide> {
  const layer = await prisma.layer.findUnique({
    where: { id: side.layerId },
    select: { id: true, preprocessing: true },
  });
  if (!layer) errors.push({ field: `${field}.layerId`, reason: 'no such layer' });
  const pre = layerPreprocessingOf(layer?.preprocessing);
  const r = await resolveRepresentation(
    prisma,
    side.representation,
    layer ? [side.layerId] : [],
    `${field}.representation`,
  );
  errors.push(...r.errors);
  if (r.saeLayerId && r.saeLayerId !== side.layerId)
    errors.push({ field: `${field}.representation`, reason: 'the SAE belongs to another layer' });
  return {
    layerId: side.layerId,
    representation: representationKind(side.representation),
    saeId: r.resolved[0]?.saeId ?? null,
    ...(pre ? { preprocessing: pre } : {}),
  };
}

/** Check a comparison request and build its inputs; throws a ValidationError listing every bad field. */
export async function resolveComparison(prisma: Db, body: ComparisonRequest): Promise<ComparisonInputs> {
  const errors: FieldError[] = [];
  const source = await resolveSide(prisma, body.source, 'body.source', errors);
  const target = await resolveSide(prisma, body.target, 'body.target', errors);
  errors.push(...foldsSpecErrors(body.folds, 'body.folds', false, 'comparisons'));
  if (!body.cv && !isWholeSetMetric(body.metric))
    errors.push({
      field: 'body.cv',
      reason: `${body.metric} is fitted on training folds; cv: false applies to ${WHOLE_SET_METRICS.join(', ')}`,
    });
  if (errors.length) throw new ValidationError(errors);
  // cv enters the inputs (and the request hash) only when false, so earlier runs keep their hash.
  return {
    source,
    target,
    metric: body.metric,
    preset: body.preset,
    alphas: body.alphas,
    folds: canonicalFolds(body.folds),
    ...(body.cv ? {} : { cv: false as const }),
  };
}

/** POST /v1/comparisons: check the request, then create (or reuse) its run and job. */
export async function createComparison(prisma: Db, jobs: JobQueue, body: ComparisonRequest): Promise<QueuedRun> {
  const inputs = await resolveComparison(prisma, body);
  return createOrReuseRun(prisma, jobs, 'comparison', comparisonRequestHash(inputs), {
    kind: 'comparison',
    inputs: inputs as unknown as object,
    method: storedMethod(inputs.metric, inputs.cv !== false),
    layerId: inputs.source.layerId,
    representation: inputs.source.representation,
    saeId: inputs.source.saeId,
    targetLayerId: inputs.target.layerId,
    targetRepresentation: inputs.target.representation,
  });
}
