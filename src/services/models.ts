/** Models: a network whose layers are compared with the brain, listed with their layers in depth order. */
import type { Db } from '../db/client';
import { notifyResultsChanged } from '../db/notify';
import { ConflictError, NotFoundError } from '../errors';

export interface Page {
  limit: number;
  offset: number;
}

const layerSummaries = {
  select: { id: true, name: true, position: true, width: true, count: true, dtype: true },
  orderBy: [{ position: 'asc' as const }, { name: 'asc' as const }],
};

export async function createModel(prisma: Db, input: { name: string; description?: string }) {
  const existing = await prisma.model.findUnique({ where: { name: input.name } });
  if (existing)
    throw new ConflictError(`a model named "${input.name}" already exists (id ${existing.id})`, [
      { field: 'body.name', reason: 'already taken' },
    ]);
  const model = await prisma.model.create({
    data: { name: input.name, description: input.description },
    include: { layers: layerSummaries },
  });
  await notifyResultsChanged(prisma);
  return model;
}

export async function listModels(prisma: Db, page: Page) {
  const [items, total] = await Promise.all([
    prisma.model.findMany({
      skip: page.offset,
      take: page.limit,
      orderBy: { createdAt: 'asc' },
      include: { layers: layerSummaries },
    }),
    prisma.model.count(),
  ]);
  return { items, total };
}

export async function getModel(prisma: Db, id: string) {
  const model = await prisma.model.findUnique({ where: { id }, include: { layers: layerSummaries } });
  if (!model) throw new NotFoundError('model', id);
  return model;
}
