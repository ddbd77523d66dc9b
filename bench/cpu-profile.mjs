// Loaded into each function's process with BENCH_FUNCTION_NODE_OPTIONS="--import=<this file>"
// (Node refuses --cpu-prof in NODE_OPTIONS): profiles the process from start to exit and writes
// <BENCH_PROFILE_DIR>/<K_SERVICE>-<pid>.cpuprofile, for Chrome DevTools or `node bench/profile-top.mjs`.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');

let written = false;
function write() {
  if (written) return;
  written = true;
  session.post('Profiler.stop', (error, result) => {
    if (error === null) writeFileSync(join(dir, `${process.env.K_SERVICE ?? 'process'}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
}
process.on('exit', write);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.prependListener(signal, () => {
    write();
  });
}
