/** Stored scores, filtered and paged, each with its layer's name. */
import type { Db, Prisma } from '../db/client';

export interface ScoreFilter {
  modelId?: string;
  layerId?: string;
  datasetId?: string;
  representation?: string;
  saeId?: string;
  subject?: string;
  atlas?: string;
  roi?: string;
  preset?: string;
  kind?: 'alignment' | 'comparison';
}

export const SCORE_SORTS = ['value', '-value', 'roi', '-roi', 'createdAt', '-createdAt'] as const;
export type ScoreSort = (typeof SCORE_SORTS)[number];

const ORDER: Record<ScoreSort, Prisma.ScoreOrderByWithRelationInput[]> = {
  value: [{ value: 'asc' }, { id: 'asc' }],
  '-value': [{ value: 'desc' }, { id: 'asc' }],
  roi: [{ target: 'asc' }, { id: 'asc' }],
  '-roi': [{ target: 'desc' }, { id: 'asc' }],
  createdAt: [{ createdAt: 'asc' }, { id: 'asc' }],
  '-createdAt': [{ createdAt: 'desc' }, { id: 'desc' }],
};

export async function listScores(prisma: Db, q: ScoreFilter & { sort: ScoreSort; limit: number; offset: number }) {
  const where: Prisma.ScoreWhereInput = {
    modelId: q.modelId,
    layerId: q.layerId,
    datasetId: q.datasetId,
    representation: q.representation,
    saeId: q.saeId,
    subject: q.subject,
    atlas: q.atlas,
    target: q.roi,
    method: q.preset,
    kind: q.kind,
  };
  const [rows, total] = await Promise.all([
    prisma.score.findMany({ where, orderBy: ORDER[q.sort], skip: q.offset, take: q.limit }),
    prisma.score.count({ where }),
  ]);
  const layerIds = [...new Set(rows.map((r) => r.layerId).filter((x): x is string => x !== null))];
  const layers = layerIds.length
    ? await prisma.layer.findMany({ where: { id: { in: layerIds } }, select: { id: true, name: true } })
    : [];
  const layerName = new Map(layers.map((l) => [l.id, l.name]));
  const items = rows.map((r) => ({ ...r, layerName: r.layerId ? (layerName.get(r.layerId) ?? null) : null }));
  return { items, total };
}
