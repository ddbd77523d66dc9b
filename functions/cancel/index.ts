/**
 * cancel entry point for faas-js-runtime: `init` builds the dependencies once, `handle` unwraps the
 * CloudEvent, calls the core (./cancel.ts) through its route (shared/runtime/routes.ts) and replies.
 */
import { routeCancel } from '../../shared/runtime/routes.js';
import { defineFunction } from '../../shared/runtime/wiring.js';
import { createCancel } from './cancel.js';

export const { init, handle } = defineFunction({
  name: 'cancel',
  create: (deps) => createCancel(deps),
  route: routeCancel,
});
