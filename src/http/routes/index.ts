/** Every route of the API, in documentation order. */
import type { AppContext } from '../context';
import type { RouteSpec } from '../route';
import { healthRoutes } from './health';
import { jobRoutes } from './jobs';
import { modelRoutes } from './models';

export function allRoutes(ctx: AppContext): RouteSpec[] {
  return [...healthRoutes(ctx), ...modelRoutes(ctx), ...jobRoutes(ctx)];
}
