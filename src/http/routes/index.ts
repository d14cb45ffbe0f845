/** Every route of the API, in documentation order. */
import type { AppContext } from '../context';
import type { RouteSpec } from '../route';
import { healthRoutes } from './health';
import { jobRoutes } from './jobs';
import { modelRoutes } from './models';
import { runRoutes } from './runs';
import { scoreRoutes } from './scores';

export function allRoutes(ctx: AppContext): RouteSpec[] {
  return [...healthRoutes(ctx), ...modelRoutes(ctx), ...runRoutes(ctx), ...scoreRoutes(ctx), ...jobRoutes(ctx)];
}
