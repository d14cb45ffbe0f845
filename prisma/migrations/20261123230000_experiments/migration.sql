-- CreateTable
CREATE TABLE "Experiment" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "options" JSONB NOT NULL,
    "result" JSONB,
    "error" TEXT,
    "jobId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Experiment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Experiment_kind_createdAt_idx" ON "Experiment"("kind", "createdAt");
