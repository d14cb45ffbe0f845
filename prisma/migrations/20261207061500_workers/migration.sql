-- Workers you can see (issue 22 item 3): every process that runs jobs registers and beats a heartbeat;
-- jobs name the worker of their latest attempt and the kind of their failure.
CREATE TABLE "Worker" (
    "id" UUID NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "slots" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "Job" ADD COLUMN "failureKind" TEXT;
ALTER TABLE "Job" ADD COLUMN "workerId" UUID;
CREATE INDEX "Job_workerId_idx" ON "Job"("workerId");
-- Failures before this version were not typed; the reaper's message says what it was.
UPDATE "Job" SET "failureKind" = CASE WHEN error LIKE 'worker stopped responding%' THEN 'lost-worker' ELSE 'internal' END
WHERE error IS NOT NULL;
