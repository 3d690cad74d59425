// Preloaded by `npm run bench:soak` into the API and the worker (NODE_OPTIONS="--expose-gc --import …"):
// on SIGUSR2 the process runs a full garbage collection and writes its memory usage to
// $SOAK_GC_PROBE_DIR/<pid>.json. The heap left after a full collection is what the process really keeps:
// the soak's leak signal, free of the garbage a sample would otherwise catch between collections.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SOAK_GC_PROBE_DIR;
if (dir && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    global.gc();
    const file = join(dir, `${process.pid}.json`);
    // Written aside and renamed, so the reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
    renameSync(`${file}.tmp`, file);
  });
}
