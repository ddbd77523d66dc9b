/**
 * run-action entry point for faas-js-runtime: `init` builds the dependencies once (with the network,
 * a sleep and the settings from the environment), `handle` unwraps the CloudEvent, calls the core
 * (./run-action.ts) through its route (shared/runtime/routes.ts) and replies.
 */
import { routeRunAction } from '../../shared/runtime/routes.js';
import { defineFunction, sleep } from '../../shared/runtime/wiring.js';
import { runActionConfigFromEnv } from './config.js';
import { holderFromEnv } from './holder.js';
import { createRunAction } from './run-action.js';

export const { init, handle } = defineFunction({
  name: 'run-action',
  create: (deps, env) => createRunAction({ ...deps, sleep, config: runActionConfigFromEnv(env), holder: holderFromEnv(env) }),
  route: routeRunAction,
});
