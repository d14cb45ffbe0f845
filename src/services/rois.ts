/**
 * ROI names in requests -> the atlas labels they stand for. One resolver serves alignments (one atlas,
 * plain names) and studies (several atlases):
 *   "prf-visualrois/V1v"          one label of one atlas ("prf-visualrois/lh.V1v": one hemisphere);
 *   "V1v"                          a manifest roiGroup of that name, else the one atlas that has the label
 *                                  (in alignments: the request's atlas);
 *   {name: "FFA", members: [...]}  a union declared inline (members as above, not groups).
 * Every error names the ROI and the atlases that exist.
 */
import type { Db } from '../db/client';
import type { FieldError } from '../errors';
import type { Hemisphere } from '../nsd/rois';

export interface RoiMember {
  atlas: string;
  label: string;
  hemisphere: Hemisphere;
}

/** A fitted target group: one label or a union of labels (the voxels of any member). */
export interface ResolvedRoi {
  /** Name in results: the label ("V1v", "lh.V1v") or the group's name. */
  name: string;
  /** The atlas of its members ("a+b" when they come from several). */
  atlas: string;
  members: RoiMember[];
}

export type RoiRequest = string | { name: string; members: string[] };

/** "V1v", "lh.V1v" or "rh.V1v" -> label name and hemisphere. */
export function parseRoiName(name: string): { label: string; hemisphere: Hemisphere } {
  const m = /^(lh|rh)\.(.+)$/.exec(name);
  return m ? { label: m[2], hemisphere: m[1] as Hemisphere } : { label: name, hemisphere: 'both' };
}

export const memberKey = (m: RoiMember) => `${m.atlas}/${m.hemisphere === 'both' ? '' : `${m.hemisphere}.`}${m.label}`;

export function atlasOf(members: RoiMember[]): string {
  return [...new Set(members.map((m) => m.atlas))].sort().join('+');
}

export interface RoiCatalogue {
  atlases: string[];
  /** "atlas/[lh.]label" -> voxel count per subject label. */
  voxels: Map<string, Map<string, number>>;
  groups: Map<string, string[]>;
}

export async function catalogue(prisma: Db, datasetId: string, subjects: string[]): Promise<RoiCatalogue> {
  const dataset = await prisma.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { manifest: true } });
  const atlases = (
    await prisma.atlas.findMany({ where: { datasetId }, select: { name: true }, orderBy: { name: 'asc' } })
  ).map((a) => a.name);
  const rows = await prisma.roi.findMany({
    where: { atlas: { datasetId }, subject: { label: { in: subjects } } },
    select: {
      name: true,
      hemisphere: true,
      voxelCount: true,
      atlas: { select: { name: true } },
      subject: { select: { label: true } },
    },
  });
  const voxels = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const key = memberKey({ atlas: r.atlas.name, label: r.name, hemisphere: r.hemisphere as Hemisphere });
    if (!voxels.has(key)) voxels.set(key, new Map());
    voxels.get(key)!.set(r.subject.label, r.voxelCount);
  }
  const groups = new Map<string, string[]>();
  const declared = (dataset.manifest as { roiGroups?: { name: string; members: string[] }[] }).roiGroups ?? [];
  for (const g of declared) groups.set(g.name, g.members);
  return { atlases, voxels, groups };
}

/**
 * Resolve the requested ROIs for every subject (each must have voxels in each subject).
 * @param opts.atlas alignments: the atlas plain names belong to (no groups, no search).
 * @param field where the list is in the request ("body.rois").
 */
export async function resolveRois(
  prisma: Db,
  datasetId: string,
  subjects: string[],
  requested: RoiRequest[],
  opts: { atlas?: string; field: string },
): Promise<{ rois: ResolvedRoi[]; errors: FieldError[] }> {
  const cat = await catalogue(prisma, datasetId, subjects);
  const errors: FieldError[] = [];
  const atlasList = cat.atlases.map((a) => `"${a}"`).join(', ') || 'none';

  /** One label reference -> member, or an error reason. */
  const member = (ref: string): RoiMember | string => {
    const slash = ref.indexOf('/');
    if (slash >= 0 || opts.atlas) {
      const atlas = slash >= 0 ? ref.slice(0, slash) : opts.atlas!;
      const m: RoiMember = { atlas, ...parseRoiName(slash >= 0 ? ref.slice(slash + 1) : ref) };
      if (!cat.atlases.includes(atlas)) return `no atlas "${atlas}" (atlases: ${atlasList})`;
      if (!cat.voxels.has(memberKey(m)))
        return `atlas "${atlas}" has no ROI "${slash >= 0 ? ref.slice(slash + 1) : ref}" (atlases: ${atlasList})`;
      return m;
    }
    const { label, hemisphere } = parseRoiName(ref);
    const hits = cat.atlases.filter((a) => cat.voxels.has(memberKey({ atlas: a, label, hemisphere })));
    if (hits.length === 0) return `no atlas has an ROI "${ref}" (atlases: ${atlasList}; qualify it as "atlas/${ref}")`;
    if (hits.length > 1)
      return `"${ref}" is in several atlases (${hits.join(', ')}); qualify it as "${hits[0]}/${ref}"`;
    return { atlas: hits[0], label, hemisphere };
  };

  const rois: ResolvedRoi[] = [];
  requested.forEach((req, i) => {
    const field = `${opts.field}[${i}]`;
    let name: string;
    let refs: string[];
    let inline = false;
    if (typeof req === 'string') {
      const group = opts.atlas ? undefined : cat.groups.get(req);
      name = req.includes('/') ? req.slice(req.indexOf('/') + 1) : req;
      refs = group ?? [req];
    } else {
      name = req.name;
      refs = req.members;
      inline = true;
    }
    const members: RoiMember[] = [];
    refs.forEach((ref, j) => {
      const m = member(ref);
      if (typeof m === 'string')
        errors.push({
          field: inline ? `${field}.members[${j}]` : field,
          reason: typeof req === 'string' && refs.length > 1 ? `ROI group "${req}": ${m}` : m,
        });
      else members.push(m);
    });
    if (members.length !== refs.length) return;
    for (const s of subjects) {
      const n = members.reduce((t, m) => t + (cat.voxels.get(memberKey(m))?.get(s) ?? 0), 0);
      if (n === 0) errors.push({ field, reason: `ROI "${name}" has no voxels in ${s}` });
    }
    rois.push({ name, atlas: atlasOf(members), members });
  });
  const seen = new Map<string, number>();
  rois.forEach((r, i) => {
    if (seen.has(r.name))
      errors.push({ field: opts.field, reason: `two ROIs are named "${r.name}"; name one with {name, members}` });
    seen.set(r.name, i);
  });
  return { rois, errors };
}

/** The ROIs of an alignment over one atlas by plain names (the /v1/alignments form). */
export function atlasRois(atlas: string, names: string[]): ResolvedRoi[] {
  return names.map((name) => ({ name, atlas, members: [{ atlas, ...parseRoiName(name) }] }));
}
