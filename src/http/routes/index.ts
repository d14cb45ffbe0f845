/** Every route of the API, in documentation order. */
import type { AppContext } from '../context';
import type { RouteSpec } from '../route';
import { alignmentRoutes } from './alignments';
import { comparisonRoutes } from './comparisons';
import { datasetRoutes } from './datasets';
import { experimentRoutes } from './experiments';
import { healthRoutes } from './health';
import { jobRoutes } from './jobs';
import { layerRoutes } from './layers';
import { modelRoutes } from './models';
import { extractionRoutes } from './networks';
import { runRoutes } from './runs';
import { saeRoutes } from './saes';
import { scoreRoutes } from './scores';
import { stimulusRoutes } from './stimuli';
import { studyComparisonRoutes } from './study-comparisons';
import { studyRoutes } from './studies';
import { uploadRoutes } from './uploads';
import { volumeRoutes } from './volumes';
import { workerRoutes } from './workers';

export function allRoutes(ctx: AppContext): RouteSpec[] {
  return [
    ...healthRoutes(ctx),
    ...datasetRoutes(ctx),
    ...volumeRoutes(ctx),
    ...stimulusRoutes(ctx),
    ...modelRoutes(ctx),
    ...layerRoutes(ctx),
    ...uploadRoutes(ctx),
    ...extractionRoutes(ctx),
    ...saeRoutes(ctx),
    ...alignmentRoutes(ctx),
    ...studyRoutes(ctx),
    ...studyComparisonRoutes(ctx),
    ...comparisonRoutes(ctx),
    ...experimentRoutes(ctx),
    ...runRoutes(ctx),
    ...scoreRoutes(ctx),
    ...jobRoutes(ctx),
    ...workerRoutes(ctx),
  ];
}
