/**
 * Datasets in the NSD layout: registered from a manifest (inline, a file under the data roots, or a shipped
 * one), every file checked before any row is written, then dataset, atlases, subjects and ROIs stored in one
 * transaction. Read back with subjects, atlases and ROI voxel counts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import type { Db, Prisma } from '../db/client';
import { notifyResultsChanged } from '../db/notify';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { readManifestFile } from '../nsd/dataset';
import { atlasLabels, type NsdManifest, parseNsdManifest } from '../nsd/manifest';
import { resolveDataPath, subjectName } from '../nsd/paths';
import { type DatasetSummary, type MissingFile, type SubjectSummary, validateDataset } from '../nsd/validate';
import type { Page } from './models';

/** Manifests shipped in data-manifests/ (the real NSD layout, the synthetic demo set). */
export const SHIPPED_MANIFESTS_DIR = path.resolve(import.meta.dirname, '../../data-manifests');

export interface NewDataset {
  name: string;
  /** Dataset root (inside the data roots; relative: from the first data root). */
  root: string;
  /** An inline manifest, or the name of a shipped one. */
  manifest?: unknown;
  /** A manifest file (inside the data roots; relative: from the dataset root). */
  manifestPath?: string;
}

type Hemisphere = 'both' | 'lh' | 'rh';

export interface DatasetView {
  id: string;
  name: string;
  root: string;
  space: string;
  betasVersion: string;
  createdAt: string;
  atlases: { name: string; labels: Record<string, string> }[];
  subjects: {
    label: string;
    sessions: number[];
    volumeShape: number[];
    images: number;
    trials: number;
    rois: { atlas: string; name: string; label: number; hemisphere: Hemisphere; voxelCount: number }[];
  }[];
  missing: MissingFile[];
}

function resolveManifest(config: Pick<Config, 'dataRoots'>, input: NewDataset, root: string): unknown {
  if (input.manifestPath)
    return readManifestFile(input.manifestPath, config.dataRoots, { base: root, field: 'body.manifestPath' });
  if (typeof input.manifest === 'string') {
    const file = path.join(SHIPPED_MANIFESTS_DIR, `${input.manifest}.json`);
    if (!existsSync(file)) throw ValidationError.of('body.manifest', `no shipped manifest named "${input.manifest}"`);
    return readManifestFile(file, [SHIPPED_MANIFESTS_DIR]);
  }
  return input.manifest;
}

/** Atlases with a volume for at least one subject (a partial download may lack some entirely); name -> id. */
async function createAtlases(
  tx: Prisma.TransactionClient,
  datasetId: string,
  manifest: NsdManifest,
  summary: DatasetSummary,
): Promise<Map<string, string>> {
  const atlasIds = new Map<string, string>();
  const present = new Set(summary.subjects.flatMap((s) => s.atlases.map((a) => a.name)));
  for (const a of manifest.atlases.filter((x) => present.has(x.name))) {
    const row = await tx.atlas.create({ data: { datasetId, name: a.name, labels: atlasLabels(a) } });
    atlasIds.set(a.name, row.id);
  }
  return atlasIds;
}

async function createSubject(
  tx: Prisma.TransactionClient,
  datasetId: string,
  manifest: NsdManifest,
  s: SubjectSummary,
  atlasIds: Map<string, string>,
): Promise<void> {
  const subject = await tx.subject.create({
    data: {
      datasetId,
      label: subjectName(s.subject),
      sessions: s.sessions[manifest.betas.format] ?? [],
      volumeShape: [...s.volumeShape],
      images: s.images,
      trials: s.trials,
    },
  });
  const rois = s.atlases.flatMap((a) =>
    a.rois.flatMap((r) =>
      (['both', 'lh', 'rh'] as const)
        .filter((h) => r.voxels[h] !== undefined)
        .map((h) => ({
          atlasId: atlasIds.get(a.name)!,
          subjectId: subject.id,
          label: r.value,
          name: r.name,
          hemisphere: h,
          voxelCount: r.voxels[h]!,
        })),
    ),
  );
  if (rois.length) await tx.roi.createMany({ data: rois });
}

/** Check every file the manifest names, then store the dataset, its atlases, subjects and ROIs at once. */
export async function registerDataset(
  prisma: Db,
  config: Pick<Config, 'dataRoots'>,
  input: NewDataset,
): Promise<DatasetView> {
  if (await prisma.dataset.findUnique({ where: { name: input.name }, select: { id: true } }))
    throw new ConflictError(`a dataset named "${input.name}" already exists`, [
      { field: 'body.name', reason: 'already taken' },
    ]);
  // Relative paths: the root against the first data root (as layer and SAE paths), a manifestPath against the root.
  const root = path.resolve(config.dataRoots[0], input.root);
  resolveDataPath(config.dataRoots[0], input.root, config.dataRoots, 'root');
  const manifestInput = resolveManifest(config, input, root);
  const summary = await validateDataset(manifestInput, root, config.dataRoots);
  const manifest = parseNsdManifest(manifestInput);
  const id = await prisma.$transaction(async (tx) => {
    const d = await tx.dataset.create({
      data: { name: input.name, root, manifest: manifest as object, missing: summary.missing as object[] },
    });
    const atlasIds = await createAtlases(tx, d.id, manifest, summary);
    for (const s of summary.subjects) await createSubject(tx, d.id, manifest, s, atlasIds);
    return d.id;
  });
  await notifyResultsChanged(prisma);
  return getDataset(prisma, id);
}

export async function getDataset(prisma: Db, id: string): Promise<DatasetView> {
  const d = await prisma.dataset.findUnique({
    where: { id },
    include: {
      atlases: { orderBy: { name: 'asc' } },
      subjects: {
        orderBy: { label: 'asc' },
        include: {
          rois: { include: { atlas: { select: { name: true } } }, orderBy: [{ label: 'asc' }, { hemisphere: 'asc' }] },
        },
      },
    },
  });
  if (!d) throw new NotFoundError('dataset', id);
  const m = d.manifest as { space: string; betas: { version: string } };
  return {
    id: d.id,
    name: d.name,
    root: d.root,
    space: m.space,
    betasVersion: m.betas.version,
    createdAt: d.createdAt.toISOString(),
    atlases: d.atlases.map((a) => ({ name: a.name, labels: a.labels as Record<string, string> })),
    subjects: d.subjects.map((s) => ({
      label: s.label,
      sessions: s.sessions,
      volumeShape: s.volumeShape,
      images: s.images,
      trials: s.trials,
      rois: s.rois.map((r) => ({
        atlas: r.atlas.name,
        name: r.name,
        label: r.label,
        hemisphere: r.hemisphere as Hemisphere,
        voxelCount: r.voxelCount,
      })),
    })),
    missing: d.missing as unknown as MissingFile[],
  };
}

/** A page of datasets with their subjects' labels, oldest first. */
export async function listDatasets(prisma: Db, page: Page) {
  const [rows, total] = await Promise.all([
    prisma.dataset.findMany({
      skip: page.offset,
      take: page.limit,
      orderBy: { createdAt: 'asc' },
      include: { subjects: { select: { label: true }, orderBy: { label: 'asc' } } },
    }),
    prisma.dataset.count(),
  ]);
  const items = rows.map((d) => ({
    id: d.id,
    name: d.name,
    root: d.root,
    subjects: d.subjects.map((s) => s.label),
    createdAt: d.createdAt.toISOString(),
  }));
  return { items, total };
}
