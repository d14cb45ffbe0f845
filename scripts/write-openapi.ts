// Regenerates openapi.yaml and the dashboard's API types (web/src/api-types.ts) from the route declarations
// (`npm run openapi`). Tests fail when either committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { openApiYaml } from '../src/http/openapi';
import { WEB_API_TYPES_FILE, webApiTypes } from './web-api-types';

writeFileSync('openapi.yaml', openApiYaml());
console.log('wrote openapi.yaml');
writeFileSync(WEB_API_TYPES_FILE, webApiTypes());
console.log(`wrote ${WEB_API_TYPES_FILE}`);
