#!/usr/bin/env node
// The drplan CLI. Sources are TypeScript; tsx loads them, so the CLI works straight from a clone after `npm ci`.
import { register } from 'tsx/esm/api';

// A reader that closes early (`drplan lint … | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
