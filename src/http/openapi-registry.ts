/** zod -> OpenAPI: the registry every route registers into (one source of truth for schemas). */
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { OpenAPIRegistry, OpenApiGeneratorV31, z };
