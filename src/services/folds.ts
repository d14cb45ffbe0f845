/**
 * Fold resolution shared by every cross-validated job (alignments, study cells, comparisons): which images a
 * run evaluates and the fold of each. One rule: `{k, seed}` splits every image the inputs share; an explicit
 * assignment evaluates exactly the images it names, and naming an image the inputs do not all have is an
 * error (never silently dropped).
 */
import { assignmentFromMap, kFoldAssignment, kFoldAssignmentOrdered, type FoldOrder } from '../compute/folds';
import { DataValidationError } from '../nsd/errors';

/**
 * `order` (default 'nsdId'): KFold over the images in ascending nsdId order, over the source layer's activation rows
 * in file order ('activations'), or over the subject's images in the order NSD first showed them ('subject', the
 * authors' choice).
 */
export type FoldsSpec = { k: number; seed: number; order?: FoldOrder } | { assignment: Record<string, number> };

/** The stored form of a folds request: the default order left out, so that equal requests hash equal. */
export function canonicalFolds(folds: FoldsSpec): FoldsSpec {
  if ('assignment' in folds || folds.order !== 'nsdId') return folds;
  return { k: folds.k, seed: folds.seed };
}

export interface ResolvedFolds {
  /** Positions (into the `ids` given) of the evaluated images, ascending nsdId. */
  rows: Int32Array;
  /** Fold per evaluated image. */
  assignment: Int32Array;
  k: number;
  seed: number | null;
}

/**
 * @param ids the images every input has, ascending nsdId.
 * @param what what those images are, for messages ("the subject's betas and the layer").
 * @param activationIds the (source) layer's stimulus ids in activation-file order, for order 'activations'.
 * @param subjectOrder the subject's images in its image order (subjectImageOrder), for order 'subject'.
 */
export function resolveFolds(
  ids: Int32Array,
  folds: FoldsSpec,
  what: string,
  activationIds?: Int32Array,
  subjectOrder?: Int32Array,
): ResolvedFolds {
  if ('assignment' in folds) {
    const map = folds.assignment;
    const available = new Set(ids);
    const unknown = Object.keys(map).filter((id) => !available.has(Number(id)));
    if (unknown.length) {
      throw new DataValidationError(
        'folds.assignment',
        `names ${unknown.length} images that ${what} do not all have (first: ${unknown.slice(0, 5).join(', ')})`,
      );
    }
    const rows = Int32Array.from(Array.from(ids.keys()).filter((i) => Object.hasOwn(map, String(ids[i]))));
    const assignment = assignmentFromMap(
      Int32Array.from(rows, (r) => ids[r]),
      map,
    );
    return { rows, assignment, k: Math.max(...assignment) + 1, seed: null };
  }
  if (ids.length < folds.k * 2)
    throw new DataValidationError(
      'folds.k',
      `only ${ids.length} images are shared by ${what}; too few for ${folds.k} folds`,
    );
  if (folds.order === 'activations' && !activationIds)
    throw new Error("fold order 'activations' needs the layer's stimulus ids in file order");
  if (folds.order === 'subject' && !subjectOrder)
    throw new DataValidationError('folds.order', `'subject' needs a subject's images; ${what} have no subject`);
  const orderIds = folds.order === 'activations' ? activationIds : folds.order === 'subject' ? subjectOrder : null;
  const assignment = orderIds
    ? kFoldAssignmentOrdered(ids, orderIds, folds.k, folds.seed, folds.order!)
    : kFoldAssignment(ids.length, folds.k, folds.seed);
  return { rows: Int32Array.from(ids.keys()), assignment, k: folds.k, seed: folds.seed };
}

/**
 * Request-time checks (no data needed): an explicit assignment's folds, and order 'subject' only where the inputs
 * have a subject (`hasSubject` false for layer-to-layer comparisons). Field errors, empty when fine.
 */
export function foldsSpecErrors(
  folds: FoldsSpec,
  field: string,
  hasSubject = true,
): { field: string; reason: string }[] {
  if (!('assignment' in folds)) {
    return folds.order === 'subject' && !hasSubject
      ? [{ field: `${field}.order`, reason: "'subject' orders a subject's images; these inputs have no subject" }]
      : [];
  }
  const errors: { field: string; reason: string }[] = [];
  const used = new Set(Object.values(folds.assignment));
  if (used.size < 2) errors.push({ field: `${field}.assignment`, reason: 'needs at least 2 folds' });
  const k = Math.max(...used) + 1;
  for (let f = 0; f < k; f++)
    if (!used.has(f)) errors.push({ field: `${field}.assignment`, reason: `fold ${f} of 0..${k - 1} has no images` });
  return errors;
}
