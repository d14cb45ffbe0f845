/**
 * What a request's `representation` names, per layer: the neurons, an SAE's latents, or the latents of an SAE's
 * untrained twin ('random-sae', issue 12 item 10: the authors' "Rand SAE" control, same architecture and seed,
 * src/sae/untrained.ts). One resolver for alignments, studies and comparisons.
 */
import type { Db } from '../db/client';
import type { FieldError } from '../errors';

export type RepresentationKind = 'neurons' | 'sae' | 'random-sae';

/**
 * Several SAEs of one layer, one chosen per outer fold by an inner K-fold over that fold's training stimuli
 * (src/compute/ridge/select.ts; issue 21 item 8): the choice never sees the fold's test stimuli. Studies only.
 */
export interface SelectSaeRequest {
  selectSae: 'inner-cv';
  candidates: string[];
  /** Inner folds (default 5). */
  innerFolds?: number;
}

export type RepresentationRequest =
  | 'neurons'
  | 'sae'
  | 'random-sae'
  | { saeId: string }
  | { randomSaeOf: string }
  | SelectSaeRequest;

/** A selecting cell's plan, as its run's inputs store it (part of the run's identity). */
export interface SaeSelectionSpec {
  method: 'inner-cv';
  /** The candidate SAEs, in request order (ties go to the earlier). */
  candidates: string[];
  innerFolds: number;
}

export const DEFAULT_INNER_FOLDS = 5;

export interface ResolvedRepresentation {
  layerId: string;
  representation: RepresentationKind;
  /** The SAE (for 'random-sae': the trained SAE whose initialisation is used); null for neurons and a selection. */
  saeId: string | null;
  /** SAE latents of a candidate chosen per outer fold (representation 'sae', saeId null). */
  selection?: SaeSelectionSpec;
}

export const isSelectSae = (rep: RepresentationRequest): rep is SelectSaeRequest =>
  typeof rep === 'object' && 'selectSae' in rep;

/** The kind a request names (before any SAE is looked up). */
export function representationKind(rep: RepresentationRequest): RepresentationKind {
  if (rep === 'neurons') return 'neurons';
  if (isSelectSae(rep)) return 'sae';
  return rep === 'random-sae' || (typeof rep === 'object' && 'randomSaeOf' in rep) ? 'random-sae' : 'sae';
}

/**
 * Resolve one representation for `layerIds`. 'sae' / 'random-sae': the newest ready SAE of each layer (an
 * untrained twin needs a trained SAE: an imported one has no seed); {saeId} / {randomSaeOf}: that SAE, for its
 * own layer only (callers decide whether other layers are an error). Errors name `field`.
 */
export async function resolveRepresentation(
  prisma: Db,
  rep: RepresentationRequest,
  layerIds: readonly string[],
  field: string,
): Promise<{ resolved: ResolvedRepresentation[]; errors: FieldError[]; saeLayerId?: string }> {
  const errors: FieldError[] = [];
  if (rep === 'neurons')
    return { resolved: layerIds.map((layerId) => ({ layerId, representation: 'neurons', saeId: null })), errors };
  if (isSelectSae(rep)) return resolveSelection(prisma, rep, field);
  const representation = representationKind(rep);
  const random = representation === 'random-sae';
  const untrainable = (origin: string) => random && origin !== 'trained';
  if (rep === 'sae' || rep === 'random-sae') {
    const resolved: ResolvedRepresentation[] = [];
    for (const layerId of layerIds) {
      const sae = await prisma.sae.findFirst({
        where: { layerId, status: 'ready', ...(random ? { origin: 'trained' } : {}) },
        orderBy: { createdAt: 'desc' },
        select: { id: true },
      });
      if (!sae) errors.push({ field, reason: `layer ${layerId} has no ready ${random ? 'trained ' : ''}SAE` });
      else resolved.push({ layerId, representation, saeId: sae.id });
    }
    return { resolved, errors };
  }
  const id = 'saeId' in rep ? rep.saeId : rep.randomSaeOf;
  const sub = `${field}.${'saeId' in rep ? 'saeId' : 'randomSaeOf'}`;
  const sae = await prisma.sae.findUnique({
    where: { id },
    select: { id: true, layerId: true, status: true, origin: true },
  });
  if (!sae) errors.push({ field: sub, reason: 'no such SAE' });
  else if (sae.status !== 'ready') errors.push({ field: sub, reason: `SAE is ${sae.status}, not ready` });
  else if (untrainable(sae.origin))
    errors.push({ field: sub, reason: 'an imported SAE has no training seed to reproduce its initialisation' });
  if (errors.length || !sae) return { resolved: [], errors };
  return { resolved: [{ layerId: sae.layerId, representation, saeId: sae.id }], errors, saeLayerId: sae.layerId };
}

/** The candidates of a selection: ready SAEs of one layer, at least two distinct. Errors name `field`.candidates. */
async function resolveSelection(
  prisma: Db,
  rep: SelectSaeRequest,
  field: string,
): Promise<{ resolved: ResolvedRepresentation[]; errors: FieldError[]; saeLayerId?: string }> {
  const errors: FieldError[] = [];
  const sub = `${field}.candidates`;
  const candidates = [...new Set(rep.candidates)];
  if (candidates.length < 2) errors.push({ field: sub, reason: 'a selection needs at least two distinct SAEs' });
  const rows = await prisma.sae.findMany({
    where: { id: { in: candidates } },
    select: { id: true, layerId: true, status: true },
  });
  candidates.forEach((id, i) => {
    const sae = rows.find((r) => r.id === id);
    if (!sae) errors.push({ field: `${sub}[${i}]`, reason: 'no such SAE' });
    else if (sae.status !== 'ready') errors.push({ field: `${sub}[${i}]`, reason: `SAE is ${sae.status}, not ready` });
  });
  const layers = [...new Set(rows.map((r) => r.layerId))];
  if (layers.length > 1)
    errors.push({ field: sub, reason: `the candidates belong to several layers (${layers.join(', ')})` });
  if (errors.length) return { resolved: [], errors };
  const selection: SaeSelectionSpec = {
    method: rep.selectSae,
    candidates,
    innerFolds: rep.innerFolds ?? DEFAULT_INNER_FOLDS,
  };
  const layerId = layers[0];
  return { resolved: [{ layerId, representation: 'sae', saeId: null, selection }], errors, saeLayerId: layerId };
}
