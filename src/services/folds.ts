/**
 * Fold resolution shared by every cross-validated job (alignments, study cells, comparisons): which images a
 * run evaluates and the fold of each. One rule: `{k, seed}` splits every image the inputs share; an explicit
 * assignment evaluates exactly the images it names, and naming an image the inputs do not all have is an
 * error (never silently dropped).
 */
import { assignmentFromMap, kFoldAssignment, kFoldAssignmentOrdered, type FoldOrder } from '../compute/folds';
import { DataValidationError } from '../errors';

/**
 * `order` (default 'nsdId'): KFold over the images in ascending nsdId order, over the source layer's activation rows
 * in file order ('activations'), or over the subject's images in the order NSD first showed them ('subject', the
 * authors' choice).
 */
export type FoldsSpec =
  | { k: number; seed: number; order?: FoldOrder; repeats?: number }
  | { assignment: Record<string, number>; repeats?: number };

/** The most repeats of K-fold a request may ask for. */
export const MAX_FOLD_REPEATS = 20;

/**
 * The stored form of a folds request: the default order and `repeats: 1` left out, so that equal requests hash
 * equal and a request with one repeat keeps the identity it had before repeats existed.
 */
export function canonicalFolds(folds: FoldsSpec): FoldsSpec {
  if ('assignment' in folds) return { assignment: folds.assignment };
  const { order, repeats } = folds;
  return {
    k: folds.k,
    seed: folds.seed,
    ...(order && order !== 'nsdId' ? { order } : {}),
    ...(repeats && repeats > 1 ? { repeats } : {}),
  };
}

/** Repeats of K-fold a folds request asks for (1 when absent). */
export const foldRepeats = (folds: FoldsSpec | undefined): number => (folds?.repeats ?? 1) || 1;

export interface ResolvedFolds {
  /** Positions (into the `ids` given) of the evaluated images, ascending nsdId. */
  rows: Int32Array;
  /** Fold per evaluated image (the first repeat). */
  assignment: Int32Array;
  /** Repeats 2..R of repeated K-fold (repeat r: KFold with seed + r, same order); empty with one repeat. */
  repeatAssignments: Int32Array[];
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
    return { rows, assignment, repeatAssignments: [], k: Math.max(...assignment) + 1, seed: null };
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
  const split = (seed: number) =>
    orderIds
      ? kFoldAssignmentOrdered(ids, orderIds, folds.k, seed, folds.order!)
      : kFoldAssignment(ids.length, folds.k, seed);
  const seeds = Array.from({ length: foldRepeats(folds) }, (_, r) => (folds.seed + r) % 2 ** 32);
  const [assignment, ...repeatAssignments] = seeds.map(split);
  return { rows: Int32Array.from(ids.keys()), assignment, repeatAssignments, k: folds.k, seed: folds.seed };
}

/**
 * Request-time checks (no data needed): an explicit assignment's folds, order 'subject' only where the inputs
 * have a subject (`hasSubject` false for layer-to-layer comparisons), and repeats > 1 only where `repeatsFor`
 * (what the request is, for the message) is absent: repeated K-fold is fitted by ridge alignments and studies.
 * Field errors, empty when fine.
 */
export function foldsSpecErrors(
  folds: FoldsSpec,
  field: string,
  hasSubject = true,
  repeatsFor?: string,
): { field: string; reason: string }[] {
  const errors: { field: string; reason: string }[] = [];
  if (foldRepeats(folds) !== 1 && repeatsFor)
    errors.push({
      field: `${field}.repeats`,
      reason: `repeated K-fold is for ridge alignments and studies, not ${repeatsFor}`,
    });
  if (!('assignment' in folds)) {
    if (folds.order === 'subject' && !hasSubject)
      errors.push({
        field: `${field}.order`,
        reason: "'subject' orders a subject's images; these inputs have no subject",
      });
    return errors;
  }
  if (foldRepeats(folds) !== 1 && !repeatsFor)
    errors.push({ field: `${field}.repeats`, reason: 'an explicit assignment is one split: repeats must be 1' });
  const used = new Set(Object.values(folds.assignment));
  if (used.size < 2) errors.push({ field: `${field}.assignment`, reason: 'needs at least 2 folds' });
  const k = Math.max(...used) + 1;
  for (let f = 0; f < k; f++)
    if (!used.has(f)) errors.push({ field: `${field}.assignment`, reason: `fold ${f} of 0..${k - 1} has no images` });
  return errors;
}
