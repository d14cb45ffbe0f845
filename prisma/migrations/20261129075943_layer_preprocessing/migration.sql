-- Layer preprocessing (issue 12 item 6): {clamp: "relu"} applied to the activations before any metric and SAE
ALTER TABLE "Layer" ADD COLUMN "preprocessing" JSONB;
