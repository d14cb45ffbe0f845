/**
 * Memory checked before a job runs: every unit of a resolved request (a study's subject x layer with all its
 * representations, or one alignment run) has its peak estimated from its sizes (compute/memory-estimate.ts), looked
 * up here in the database (the subject's images, the layer's rows and units, the SAEs' latents and k, the ROIs'
 * voxel counts); a request with a unit over the worker budget (ALIGN_WORKER_MEMORY_MB) is refused before
 * anything is queued. The voxels of the ROIs' union are bounded by the members' counts summed (no file read);
 * only a unit over the budget on that bound has its union counted exactly, from the atlas masks.
 */
import type { Config } from '../config';
import { estimateUnitMemory, type RepresentationSize, toMiB, type UnitSizes } from '../compute/memory-estimate';
import type { Db } from '../db/client';
import { MemoryBudgetError, type UnitMemory } from '../errors';
import { loadRoiMask } from '../nsd/rois';
import type { AlignmentCell } from './alignments';
import type { ResolvedAlignment } from './alignment-requests';
import { openDataset, subjectNumber } from './inputs';
import { catalogue, memberKey } from './rois';

type Plan = Pick<ResolvedAlignment, 'datasetId' | 'subjects' | 'layerIds' | 'cells' | 'rois' | 'folds' | 'alphas'>;

/** What the sizes of a request's units are looked up from, once for all its units. */
interface Lookup {
  subjects: Map<string, { images: number; volumeShape: number[] }>;
  layers: Map<string, { name: string; count: number; width: number }>;
  saes: Map<string, { latents: number; k: number }>;
  /** Per subject: the ROIs' voxels summed, and the union's bound (each distinct member counted once). */
  voxels: Map<string, RoiVoxels>;
}

async function lookup(prisma: Db, plan: Plan): Promise<Lookup> {
  const subjectRows = await prisma.subject.findMany({
    where: { datasetId: plan.datasetId, label: { in: plan.subjects } },
    select: { label: true, images: true, volumeShape: true },
  });
  const layerRows = await prisma.layer.findMany({
    where: { id: { in: plan.layerIds } },
    select: { id: true, name: true, count: true, width: true },
  });
  const saeIds = plan.cells.flatMap((c) => [...(c.saeId ? [c.saeId] : []), ...(c.selection?.candidates ?? [])]);
  const saeRows = await prisma.sae.findMany({
    where: { id: { in: saeIds } },
    select: { id: true, latents: true, k: true },
  });
  const cat = await catalogue(prisma, plan.datasetId, plan.subjects);
  const count = (key: string, s: string) => cat.voxels.get(key)?.get(s) ?? 0;
  const voxels = new Map(
    plan.subjects.map((s) => {
      const roiVoxels = plan.rois.reduce((t, r) => t + r.members.reduce((u, m) => u + count(memberKey(m), s), 0), 0);
      const distinct = new Set(plan.rois.flatMap((r) => r.members.map(memberKey)));
      const unionVoxels = [...distinct].reduce((t, key) => t + count(key, s), 0);
      return [s, { roiVoxels, unionVoxels }];
    }),
  );
  return {
    subjects: new Map(subjectRows.map((r) => [r.label, r])),
    layers: new Map(layerRows.map((r) => [r.id, r])),
    saes: new Map(saeRows.map((r) => [r.id, r])),
    voxels,
  };
}

/** The ROIs' voxels of one subject counted from the atlas masks: the union, and summed over ROIs. */
async function exactVoxels(prisma: Db, config: Config, plan: Plan, subject: string, shape: number[]) {
  const ds = await openDataset(prisma, config, plan.datasetId);
  const union = new Set<number>();
  let roiVoxels = 0;
  for (const roi of plan.rois) {
    const own = new Set<number>();
    for (const m of roi.members) {
      const sel = { atlas: m.atlas, labels: [m.label], hemisphere: m.hemisphere };
      const mask = await loadRoiMask(ds, subjectNumber(subject), sel, shape as [number, number, number]);
      for (const v of mask.voxelIndices) own.add(v);
    }
    roiVoxels += own.size;
    for (const v of own) union.add(v);
  }
  return { roiVoxels, unionVoxels: union.size };
}

/** One representation of a unit as the fit sees it. */
function representationSize(cell: AlignmentCell, units: number, saes: Lookup['saes']): RepresentationSize {
  if (cell.selection) {
    const c = cell.selection.candidates.map((id) => saes.get(id) ?? { latents: units, k: units });
    return {
      columns: Math.max(...c.map((x) => x.latents)),
      k: Math.max(...c.map((x) => x.k)),
      candidates: c.length,
    };
  }
  if (!cell.saeId) return { columns: units };
  const sae = saes.get(cell.saeId) ?? { latents: units, k: units };
  return { columns: sae.latents, k: sae.k };
}

const representationName = (c: AlignmentCell) =>
  c.selection
    ? `select-sae of ${c.selection.candidates.length}`
    : c.saeId
      ? `${c.representation} ${c.saeId}`
      : c.representation;

/** Stimuli the folds use (bounded by what both the subject and the layer have), and the number of folds. */
function foldSizes(plan: Plan, images: number, layerRows: number): { stimuli: number; folds: number } {
  const both = Math.min(images, layerRows);
  if ('assignment' in plan.folds) {
    const values = Object.values(plan.folds.assignment);
    return { stimuli: Math.min(both, values.length), folds: new Set(values).size };
  }
  return { stimuli: both, folds: plan.folds.k };
}

/** A request's units (a study's subject x layer, or each cell on its own) in cell order. */
function unitsOf(plan: Plan, paired: boolean): AlignmentCell[][] {
  if (!paired) return plan.cells.map((c) => [c]);
  const units = new Map<string, AlignmentCell[]>();
  for (const c of plan.cells) {
    const key = `${c.subject}/${c.layerId}`;
    (units.get(key) ?? units.set(key, []).get(key)!).push(c);
  }
  return [...units.values()];
}

export interface UnitEstimate extends UnitMemory {
  sizes: UnitSizes;
}

type RoiVoxels = { roiVoxels: number; unionVoxels: number };

/** The sizes of one unit (ROI voxels as given). */
function unitSizes(plan: Plan, look: Lookup, cells: AlignmentCell[], voxels: RoiVoxels, paired: boolean): UnitSizes {
  const subject = look.subjects.get(cells[0].subject) ?? { images: 0, volumeShape: [] };
  const layer = look.layers.get(cells[0].layerId) ?? { name: '', count: 0, width: 0 };
  return {
    ...foldSizes(plan, subject.images, layer.count),
    layerRows: layer.count,
    units: layer.width,
    representations: cells.map((c) => representationSize(c, layer.width, look.saes)),
    ...voxels,
    rois: plan.rois.length,
    alphas: plan.alphas.length,
    paired: paired && cells.length > 1,
  };
}

/**
 * Every unit's estimated peak against the worker budget. A unit over it on the union's bound is estimated again
 * with the union counted from the masks (once per subject), so that a refusal never rests on the bound alone.
 */
export async function estimateUnits(
  prisma: Db,
  config: Config,
  plan: Plan,
  opts: { paired: boolean },
): Promise<UnitEstimate[]> {
  const look = await lookup(prisma, plan);
  const budgetMiB = config.workerMemory.mb;
  const exact = new Map<string, Promise<RoiVoxels>>();
  const out: UnitEstimate[] = [];
  for (const cells of unitsOf(plan, opts.paired)) {
    const { subject, layerId } = cells[0];
    let sizes = unitSizes(plan, look, cells, look.voxels.get(subject)!, opts.paired);
    if (toMiB(estimateUnitMemory(sizes).total) > budgetMiB) {
      const shape = look.subjects.get(subject)?.volumeShape ?? [];
      if (!exact.has(subject)) exact.set(subject, exactVoxels(prisma, config, plan, subject, shape));
      sizes = unitSizes(plan, look, cells, await exact.get(subject)!, opts.paired);
    }
    out.push({
      subject,
      layerId,
      layer: look.layers.get(layerId)?.name ?? layerId,
      representations: cells.map(representationName),
      estimateMiB: toMiB(estimateUnitMemory(sizes).total),
      budgetMiB,
      sizes,
    });
  }
  return out;
}

/**
 * Refuse a request with a unit over the worker memory budget (MemoryBudgetError naming every such unit, its
 * estimate and the budget), before anything is queued; returns the estimates otherwise.
 */
export async function checkUnitMemory(
  prisma: Db,
  config: Config,
  plan: Plan,
  opts: { paired: boolean },
): Promise<UnitEstimate[]> {
  const units = await estimateUnits(prisma, config, plan, opts);
  const over = units.filter((u) => u.estimateMiB > u.budgetMiB);
  if (over.length) {
    const setting =
      config.workerMemory.from === 'ALIGN_WORKER_MEMORY_MB'
        ? 'ALIGN_WORKER_MEMORY_MB'
        : `ALIGN_WORKER_MEMORY_MB unset: 80% of the ${config.workerMemory.from === 'cgroup' ? "cgroup's memory limit" : "machine's memory"}`;
    throw new MemoryBudgetError(
      over.map(({ sizes: _s, ...u }) => ({ ...u, field: `body.layerIds[${plan.layerIds.indexOf(u.layerId)}]` })),
      setting,
    );
  }
  return units;
}
