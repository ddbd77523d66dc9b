#!/usr/bin/env node
// The drplan CLI. Sources are TypeScript; tsx loads them, so the CLI works straight from a clone after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
