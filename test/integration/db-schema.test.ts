/**
 * The migrated database must match prisma/schema.prisma: every model and field (type, list,
 * nullability, defaults), enum, index, unique constraint and relation. The expectation comes from
 * Prisma's own schema parser (wasm DMMF), the observation from the live catalog of a real Postgres.
 */
import { readFileSync } from 'node:fs';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

interface DmmfField {
  name: string;
  kind: 'scalar' | 'object' | 'enum';
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  type: string;
  nativeType: [string, string[]] | null;
  default?: { name: string } | string | number | boolean;
  isUpdatedAt: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: { name: string }[];
}

const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: readFileSync('prisma/schema.prisma', 'utf8') })))
  .datamodel as {
  models: DmmfModel[];
  enums: { name: string; values: { name: string }[] }[];
  indexes: DmmfIndex[];
};

const SCALAR_UDT: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Float: 'float8',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
  Decimal: 'numeric',
};
const NATIVE_UDT: Record<string, string> = { Uuid: 'uuid' };

function expectedUdt(f: DmmfField): string {
  const base = f.kind === 'enum' ? f.type : f.nativeType ? NATIVE_UDT[f.nativeType[0]] : SCALAR_UDT[f.type];
  if (!base) throw new Error(`no mapping for ${f.type} ${JSON.stringify(f.nativeType)}`);
  return f.isList ? `_${base}` : base;
}

/** Does the schema ask the database for a default? (uuid(), cuid() and @updatedAt are client-side.) */
function expectsDbDefault(f: DmmfField): boolean {
  if (!f.hasDefaultValue) return false;
  if (typeof f.default === 'object' && f.default && 'name' in f.default)
    return ['autoincrement', 'now', 'dbgenerated', 'sequence'].includes(f.default.name);
  return true;
}

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

describe('migrated database matches schema.prisma', () => {
  it('has exactly the models as tables (plus _prisma_migrations)', async () => {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual(
      [...dmmf.models.map((m) => m.name), '_prisma_migrations'].sort(),
    );
  });

  it('has every enum with the same values in order', async () => {
    const { rows } = await client.query<{ typname: string; labels: string[] }>(
      "SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' GROUP BY t.typname",
    );
    const actual = Object.fromEntries(rows.map((r) => [r.typname, r.labels]));
    const expected = Object.fromEntries(dmmf.enums.map((e) => [e.name, e.values.map((v) => v.name)]));
    expect(actual).toEqual(expected);
  });

  for (const model of dmmf.models) {
    it(`table ${model.name}: columns, types, nullability, defaults`, async () => {
      const { rows } = await client.query<{
        column_name: string;
        udt_name: string;
        is_nullable: 'YES' | 'NO';
        column_default: string | null;
      }>(
        "SELECT column_name, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        [model.name],
      );
      const actual = Object.fromEntries(
        rows.map((r) => [
          r.column_name,
          { udt: r.udt_name, nullable: r.is_nullable === 'YES', hasDefault: r.column_default !== null },
        ]),
      );
      const scalars = model.fields.filter((f) => f.kind !== 'object');
      const expected = Object.fromEntries(
        scalars.map((f) => [
          f.name,
          { udt: expectedUdt(f), nullable: !f.isRequired || f.isList, hasDefault: expectsDbDefault(f) },
        ]),
      );
      expect(actual).toEqual(expected);
    });
  }

  it('has every primary key, unique constraint and index, and no others', async () => {
    const { rows } = await client.query<{ table: string; primary: boolean; unique: boolean; columns: string[] }>(`
      SELECT c.relname AS table, i.indisprimary AS primary, i.indisunique AS unique,
             array_agg(a.attname::text ORDER BY k.ord) AS columns
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations'
      GROUP BY c.relname, i.indexrelid, i.indisprimary, i.indisunique`);
    const key = (table: string, kind: string, cols: string[]) => `${table}:${kind}:${cols.join(',')}`;
    const actual = rows.map((r) => key(r.table, r.primary ? 'id' : r.unique ? 'unique' : 'normal', r.columns)).sort();
    const expected = dmmf.indexes
      .map((i) =>
        key(
          i.model,
          i.type,
          i.fields.map((f) => f.name),
        ),
      )
      .sort();
    expect(actual).toEqual(expected);
  });

  it('has every relation as a foreign key with the declared referential actions', async () => {
    const { rows } = await client.query<{
      table: string;
      columns: string[];
      ref_table: string;
      ref_columns: string[];
      on_delete: string;
      on_update: string;
    }>(`
      SELECT c.relname AS table, rc.relname AS ref_table, con.confdeltype AS on_delete, con.confupdtype AS on_update,
        (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(n, ord) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS columns,
        (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(n, ord) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS ref_columns
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class rc ON rc.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE con.contype = 'f' AND n.nspname = 'public'`);
    // pg_constraint action codes; Prisma's defaults: Restrict for required relations, SetNull for optional ones.
    const code: Record<string, string> = { Cascade: 'c', Restrict: 'r', NoAction: 'a', SetNull: 'n', SetDefault: 'd' };
    const actual = rows
      .map((r) => `${r.table}(${r.columns}) -> ${r.ref_table}(${r.ref_columns}) del=${r.on_delete} upd=${r.on_update}`)
      .sort();
    const expected: string[] = [];
    for (const m of dmmf.models) {
      for (const f of m.fields) {
        if (f.kind !== 'object' || !f.relationFromFields?.length) continue;
        const onDelete = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
        expected.push(
          `${m.name}(${f.relationFromFields}) -> ${f.type}(${f.relationToFields}) del=${code[onDelete]} upd=c`,
        );
      }
    }
    expect(actual).toEqual(expected.sort());
  });
});
