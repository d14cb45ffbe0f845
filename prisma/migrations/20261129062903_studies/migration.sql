-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "studyId" UUID;

-- CreateTable
CREATE TABLE "Study" (
    "id" UUID NOT NULL,
    "name" TEXT,
    "requestHash" TEXT NOT NULL,
    "inputs" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelledAt" TIMESTAMP(3),

    CONSTRAINT "Study_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Study_requestHash_key" ON "Study"("requestHash");

-- CreateIndex
CREATE INDEX "Study_createdAt_idx" ON "Study"("createdAt");

-- CreateIndex
CREATE INDEX "Run_studyId_idx" ON "Run"("studyId");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;
