/**
 * The paired statistics a study's unit jobs stored (PairedComparison rows), read back as compareResultRows
 * (paired-comparisons.ts) takes them: for a study's comparison tables, or for the runs a score matrix shows.
 */
import type { Db } from '../db/client';
import type { PairedLookup, PairedSummary } from './paired-comparisons';

/**
 * A study's stored paired statistics (written by its unit jobs), keyed for compareResultRows; with `replicates`
 * also each cell's stimulus-bootstrap replicates (for the hierarchical bootstrap across subjects), else left unread.
 */
export async function studyPaired(prisma: Db, studyId: string, replicates = false): Promise<PairedLookup> {
  return pairedLookup(
    await prisma.pairedComparison.findMany({ where: { studyId }, omit: { bootstrapReplicates: !replicates } }),
  );
}

/** The stored paired statistics whose a-run is one of `aRunIds` (e.g. the neurons runs a score matrix shows). */
export async function pairedForRuns(prisma: Db, aRunIds: string[]): Promise<PairedLookup> {
  return aRunIds.length
    ? pairedLookup(
        await prisma.pairedComparison.findMany({
          where: { aRunId: { in: aRunIds } },
          omit: { bootstrapReplicates: true },
        }),
      )
    : new Map();
}

type StoredPaired = Omit<Awaited<ReturnType<Db['pairedComparison']['findMany']>>[number], 'bootstrapReplicates'> & {
  bootstrapReplicates?: number[];
};

function pairedLookup(rows: StoredPaired[]): PairedLookup {
  const num = (x: number | null) => x ?? NaN;
  return new Map(
    rows.map((r): [string, PairedSummary] => [
      `${r.aRunId}|${r.bRunId}|${r.roi}`,
      {
        a: r.a,
        b: r.b,
        difference: r.difference,
        bootstrapCi:
          r.bootstrapLower === null || r.bootstrapUpper === null
            ? null
            : {
                lower: r.bootstrapLower,
                upper: r.bootstrapUpper,
                se: num(r.bootstrapSe),
                nResamples: r.nResamples,
                seed: Number(r.seed),
              },
        ...(r.bootstrapReplicates ? { replicates: r.bootstrapReplicates } : {}),
        p: r.p,
        permutation: { exact: r.permutationExact, nPermutations: r.nPermutations },
        nStimuli: r.nStimuli,
      },
    ]),
  );
}
