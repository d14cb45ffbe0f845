-- Baselines beside scores (issue 21 item 10): the score of a constant per-target prediction (training mean),
-- under the same score and folds. Null for scores stored before it.
ALTER TABLE "Score" ADD COLUMN "baseline" DOUBLE PRECISION;
