// Worker-thread entry: Node 20 checks a worker's entry extension before loader hooks apply, so this
// plain .mjs file registers tsx in the thread and then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./compute-thread-worker.ts');
