/** The OpenAPI 3.1 document, generated from the route declarations (and written to openapi.yaml). */
import { stringify } from 'yaml';
import { SERVICE_VERSION } from '../version';
import type { AppContext } from './context';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from './openapi-registry';
import { PROBLEM_TYPES } from './problem';
import { registerRoutes } from './route';
import { allRoutes } from './routes';

// Handlers never run during generation, so the context can be empty.
const DOC_CONTEXT = {} as AppContext;

export function buildOpenApiDocument(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registerRoutes(registry, allRoutes(DOC_CONTEXT));
  const generator = new OpenApiGeneratorV31(registry.definitions);
  const problemList = Object.entries(PROBLEM_TYPES)
    .map(([k, v]) => `- \`/problems/${k}\` (${v.status}): ${v.title}`)
    .join('\n');
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Brain alignment API',
      version: SERVICE_VERSION,
      description:
        'Measures how well deep-network layers (base neurons and sparse-autoencoder latents) align with human visual cortex (NSD fMRI ROIs) and with each other.\n\n' +
        'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type`:\n' +
        problemList,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'Local service (default PORT)' }],
  }) as unknown as Record<string, unknown>;
}

export function openApiYaml(): string {
  return stringify(buildOpenApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false });
}
