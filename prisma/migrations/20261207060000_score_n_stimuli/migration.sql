-- Stimuli behind each score (issue 23 item 1): the images the run evaluated (those both the layer and the
-- subject's betas have). Null for scores stored before it.
ALTER TABLE "Score" ADD COLUMN "nStimuli" INTEGER;
