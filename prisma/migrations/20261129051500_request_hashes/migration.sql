-- Identical SAE-training and experiment requests share one result (as runs already do).
ALTER TABLE "Sae" ADD COLUMN "requestHash" TEXT;
CREATE UNIQUE INDEX "Sae_requestHash_key" ON "Sae"("requestHash");

ALTER TABLE "Experiment" ADD COLUMN "requestHash" TEXT;
CREATE UNIQUE INDEX "Experiment_requestHash_key" ON "Experiment"("requestHash");
