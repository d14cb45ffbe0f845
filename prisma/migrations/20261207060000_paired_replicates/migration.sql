-- Stimulus-bootstrap replicates of each paired cell (issue 21 item 3): the stimulus level of the hierarchical
-- bootstrap across subjects. Empty for cells stored before it.
ALTER TABLE "PairedComparison" ADD COLUMN "bootstrapReplicates" DOUBLE PRECISION[] DEFAULT ARRAY[]::DOUBLE PRECISION[];
