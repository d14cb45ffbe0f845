// Regenerates openapi.yaml from the route declarations (`npm run openapi`). A test fails when the
// committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { openApiYaml } from '../src/http/openapi';

writeFileSync('openapi.yaml', openApiYaml());
console.log('wrote openapi.yaml');
