// Prisma CLI configuration (Prisma 7 reads the database URL from here, not from schema.prisma).
// Only `prisma generate` runs on these machines; migrations are applied by src/db/migrate.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/align' },
});
