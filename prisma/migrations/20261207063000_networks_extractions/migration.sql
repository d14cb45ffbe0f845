-- Networks and extraction (issue 23 item 2): a model may carry an ONNX network (an artefact store key), and an
-- extraction runs it over a dataset's stimuli and registers each tapped tensor as a layer.
ALTER TABLE "Model" ADD COLUMN "networkKey" TEXT;
ALTER TABLE "Model" ADD COLUMN "networkName" TEXT;

CREATE TABLE "Extraction" (
    "id" UUID NOT NULL,
    "modelId" UUID NOT NULL,
    "datasetId" UUID NOT NULL,
    "networkKey" TEXT NOT NULL,
    "request" JSONB NOT NULL,
    "requestHash" TEXT NOT NULL,
    "stimulusCount" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "error" TEXT,
    "jobId" UUID,
    "layerIds" UUID[] DEFAULT ARRAY[]::UUID[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Extraction_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Extraction_requestHash_key" ON "Extraction"("requestHash");
CREATE INDEX "Extraction_modelId_idx" ON "Extraction"("modelId");
ALTER TABLE "Extraction" ADD CONSTRAINT "Extraction_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Extraction" ADD CONSTRAINT "Extraction_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;
