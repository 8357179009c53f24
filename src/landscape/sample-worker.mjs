// Worker-thread entry for `weightscape sample --workers N`: runs one interleaved shard of the
// sweep. From the sources it registers tsx first (workers do not inherit the main thread's
// loader); in the compiled package (dist/) it loads the compiled module.
import { existsSync } from 'node:fs';

const source = new URL('./sample-shard-worker.ts', import.meta.url);
let shardModule;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  shardModule = await import(source.href);
} else {
  shardModule = await import(new URL('./sample-shard-worker.js', import.meta.url).href);
}
await shardModule.runSampleShard();
