/** Alignment jobs: one run ({runId}) or a study's (subject, layer) unit of runs ({studyId, runIds}). */
import type { JobHandler } from '../../queue/types';
import { runAlignment } from '../../services/alignment-runs';
import { runStudyUnit, type StudyUnitJob } from '../../services/study-units';
import { runStatusHooks } from './run-hooks';

export const alignmentJobHandler: JobHandler<{ runId: string } | StudyUnitJob> = {
  run: (data, ctx) => ('runIds' in data ? runStudyUnit(data, ctx) : runAlignment(data.runId, ctx)),
  ...runStatusHooks,
};
