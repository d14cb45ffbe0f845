-- Files a partial download lacks (issue 10 item 18): [{kind, atlas, subject, path, reason}]
ALTER TABLE "Dataset" ADD COLUMN "missing" JSONB NOT NULL DEFAULT '[]';
