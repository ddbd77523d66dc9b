#!/usr/bin/env node
// `npm start`: the disaster-recovery drill on the local stack (local/drill.ts, docs/drill.md).
// Sources are TypeScript; tsx loads them, as for the drplan CLI, so this works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../local/drill/cli.ts');

// Ctrl-C (or a TERM) stops the drill and, with it, the stack and its function processes.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`drill: ${signal}, stopping\n`);
    controller.abort();
  });
}
// So does a reader that goes away (`npm start | head`): the stack is stopped rather than orphaned.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', () => {
    controller.abort();
  });
}

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }, controller.signal);
// Nothing of the drill is left running; do not wait for idle keep-alive sockets to time out, but let
// what was written reach a pipe first.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
process.exit();
