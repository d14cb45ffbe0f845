-- CreateTable
CREATE TABLE "RunWeights" (
    "runId" UUID NOT NULL,
    "target" TEXT NOT NULL,
    "units" BYTEA NOT NULL,
    "folds" BYTEA NOT NULL,
    "foldsL2" BYTEA NOT NULL,
    "nFolds" INTEGER NOT NULL,

    CONSTRAINT "RunWeights_pkey" PRIMARY KEY ("runId","target")
);

-- AddForeignKey
ALTER TABLE "RunWeights" ADD CONSTRAINT "RunWeights_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
