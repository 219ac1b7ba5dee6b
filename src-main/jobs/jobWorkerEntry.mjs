// Worker threads on Node 20 do not inherit the parent's module loader hooks, so a worker cannot load
// TypeScript directly: it registers tsx in its own thread first, then loads the job worker.
import { register } from 'tsx/esm/api';

register();
await import('./jobWorker.ts');
