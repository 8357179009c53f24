// Worker-thread entry for `weightscape sample --workers N`: registers tsx (workers do not inherit
// the main thread's loader), then runs one interleaved shard of the sweep on its own WASM backend.
import { register } from 'tsx/esm/api';

register();
const { runSampleShard } = await import('./sample-shard-worker.ts');
await runSampleShard();
