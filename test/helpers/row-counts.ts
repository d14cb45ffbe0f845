/** Row counts of every table (the app's and pg-boss's): "did this request write anything?". */
import type { Db } from '../../src/db/client';

export async function rowCounts(prisma: Db): Promise<Record<string, number>> {
  const tables = await prisma.$queryRawUnsafe<{ schema: string; name: string }[]>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1, 2`,
  );
  const out: Record<string, number> = {};
  for (const t of tables) {
    const [{ n }] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM "${t.schema}"."${t.name}"`,
    );
    out[`${t.schema}.${t.name}`] = Number(n);
  }
  return out;
}
