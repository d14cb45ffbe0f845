-- CreateEnum
CREATE TYPE "SaeStatus" AS ENUM ('pending', 'training', 'ready', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "RunKind" AS ENUM ('alignment', 'comparison');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "Dataset" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "root" TEXT NOT NULL,
    "manifest" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Subject" (
    "id" UUID NOT NULL,
    "datasetId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "sessions" INTEGER[],
    "volumeShape" INTEGER[],
    "trials" INTEGER NOT NULL,
    "images" INTEGER NOT NULL,

    CONSTRAINT "Subject_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Atlas" (
    "id" UUID NOT NULL,
    "datasetId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL,

    CONSTRAINT "Atlas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Roi" (
    "id" UUID NOT NULL,
    "atlasId" UUID NOT NULL,
    "subjectId" UUID NOT NULL,
    "label" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "hemisphere" TEXT NOT NULL DEFAULT 'both',
    "voxelCount" INTEGER NOT NULL,

    CONSTRAINT "Roi_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Model" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Layer" (
    "id" UUID NOT NULL,
    "modelId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "activationsPath" TEXT NOT NULL,
    "activationsDataset" TEXT,
    "stimulusIdsPath" TEXT NOT NULL,
    "stimulusIdsDataset" TEXT,
    "dtype" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "checksum" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Layer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sae" (
    "id" UUID NOT NULL,
    "layerId" UUID NOT NULL,
    "origin" TEXT NOT NULL,
    "status" "SaeStatus" NOT NULL DEFAULT 'pending',
    "settings" JSONB NOT NULL,
    "k" INTEGER NOT NULL,
    "latents" INTEGER NOT NULL,
    "preprocessing" JSONB NOT NULL,
    "weightsPath" TEXT,
    "metrics" JSONB,
    "curves" JSONB,
    "error" TEXT,
    "jobId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Sae_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" UUID NOT NULL,
    "kind" "RunKind" NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "requestHash" TEXT NOT NULL,
    "inputs" JSONB NOT NULL,
    "method" TEXT NOT NULL,
    "datasetId" UUID,
    "subject" TEXT,
    "atlas" TEXT,
    "layerId" UUID,
    "representation" TEXT NOT NULL,
    "saeId" UUID,
    "targetLayerId" UUID,
    "targetRepresentation" TEXT,
    "foldAssignment" JSONB,
    "backend" TEXT,
    "versions" JSONB,
    "timings" JSONB,
    "error" TEXT,
    "jobId" UUID,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Score" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "kind" "RunKind" NOT NULL,
    "datasetId" UUID,
    "modelId" UUID,
    "layerId" UUID,
    "representation" TEXT NOT NULL,
    "saeId" UUID,
    "method" TEXT NOT NULL,
    "subject" TEXT,
    "atlas" TEXT,
    "target" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "sem" DOUBLE PRECISION,
    "median" DOUBLE PRECISION,
    "foldValues" DOUBLE PRECISION[],
    "nVoxels" INTEGER,
    "alphas" DOUBLE PRECISION[],
    "noiseCeiling" DOUBLE PRECISION,
    "normalised" DOUBLE PRECISION,
    "keptShare" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Score_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunVoxels" (
    "runId" UUID NOT NULL,
    "volumeShape" INTEGER[],
    "voxelIndices" BYTEA NOT NULL,
    "values" BYTEA NOT NULL,
    "roiCodes" BYTEA NOT NULL,
    "roiNames" TEXT[],

    CONSTRAINT "RunVoxels_pkey" PRIMARY KEY ("runId")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "progress" JSONB,
    "error" TEXT,
    "runId" UUID,
    "saeId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Dataset_name_key" ON "Dataset"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Subject_datasetId_label_key" ON "Subject"("datasetId", "label");

-- CreateIndex
CREATE UNIQUE INDEX "Atlas_datasetId_name_key" ON "Atlas"("datasetId", "name");

-- CreateIndex
CREATE INDEX "Roi_subjectId_idx" ON "Roi"("subjectId");

-- CreateIndex
CREATE UNIQUE INDEX "Roi_atlasId_subjectId_name_hemisphere_key" ON "Roi"("atlasId", "subjectId", "name", "hemisphere");

-- CreateIndex
CREATE UNIQUE INDEX "Model_name_key" ON "Model"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Layer_modelId_name_key" ON "Layer"("modelId", "name");

-- CreateIndex
CREATE INDEX "Sae_layerId_idx" ON "Sae"("layerId");

-- CreateIndex
CREATE UNIQUE INDEX "Run_requestHash_key" ON "Run"("requestHash");

-- CreateIndex
CREATE INDEX "Run_kind_status_idx" ON "Run"("kind", "status");

-- CreateIndex
CREATE INDEX "Run_layerId_idx" ON "Run"("layerId");

-- CreateIndex
CREATE INDEX "Score_modelId_subject_atlas_representation_method_idx" ON "Score"("modelId", "subject", "atlas", "representation", "method");

-- CreateIndex
CREATE INDEX "Score_layerId_idx" ON "Score"("layerId");

-- CreateIndex
CREATE INDEX "Score_subject_atlas_target_idx" ON "Score"("subject", "atlas", "target");

-- CreateIndex
CREATE UNIQUE INDEX "Score_runId_target_key" ON "Score"("runId", "target");

-- CreateIndex
CREATE INDEX "Job_state_idx" ON "Job"("state");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- AddForeignKey
ALTER TABLE "Subject" ADD CONSTRAINT "Subject_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Atlas" ADD CONSTRAINT "Atlas_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Roi" ADD CONSTRAINT "Roi_atlasId_fkey" FOREIGN KEY ("atlasId") REFERENCES "Atlas"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Roi" ADD CONSTRAINT "Roi_subjectId_fkey" FOREIGN KEY ("subjectId") REFERENCES "Subject"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Layer" ADD CONSTRAINT "Layer_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sae" ADD CONSTRAINT "Sae_layerId_fkey" FOREIGN KEY ("layerId") REFERENCES "Layer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Score" ADD CONSTRAINT "Score_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunVoxels" ADD CONSTRAINT "RunVoxels_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
