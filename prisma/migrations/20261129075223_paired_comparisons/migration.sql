-- CreateTable
CREATE TABLE "PairedComparison" (
    "id" UUID NOT NULL,
    "studyId" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "layerId" UUID NOT NULL,
    "roi" TEXT NOT NULL,
    "aRunId" UUID NOT NULL,
    "bRunId" UUID NOT NULL,
    "a" DOUBLE PRECISION NOT NULL,
    "b" DOUBLE PRECISION NOT NULL,
    "difference" DOUBLE PRECISION NOT NULL,
    "foldDifferences" DOUBLE PRECISION[],
    "level" DOUBLE PRECISION NOT NULL,
    "bootstrapLower" DOUBLE PRECISION,
    "bootstrapUpper" DOUBLE PRECISION,
    "bootstrapSe" DOUBLE PRECISION,
    "nResamples" INTEGER NOT NULL,
    "seed" BIGINT NOT NULL,
    "p" DOUBLE PRECISION,
    "permutationExact" BOOLEAN NOT NULL,
    "nPermutations" INTEGER NOT NULL,
    "nStimuli" INTEGER NOT NULL,
    "nTargets" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PairedComparison_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PairedComparison_studyId_idx" ON "PairedComparison"("studyId");

-- CreateIndex
CREATE UNIQUE INDEX "PairedComparison_aRunId_bRunId_roi_key" ON "PairedComparison"("aRunId", "bRunId", "roi");

-- AddForeignKey
ALTER TABLE "PairedComparison" ADD CONSTRAINT "PairedComparison_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;
