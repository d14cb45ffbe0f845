// Worker-thread entry (see src/threads/compute-thread-entry.mjs): register tsx, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./betas-write-thread-worker.ts');
