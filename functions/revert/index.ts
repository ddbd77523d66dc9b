/**
 * revert entry point for faas-js-runtime: `init` builds the dependencies once, `handle` unwraps the
 * CloudEvent, calls the core (./revert.ts) through its route (shared/runtime/routes.ts) and replies.
 */
import { routeRevert } from '../../shared/runtime/routes.js';
import { defineFunction } from '../../shared/runtime/wiring.js';
import { createRevert } from './revert.js';

export const { init, handle } = defineFunction({
  name: 'revert',
  create: (deps) => createRevert(deps),
  route: routeRevert,
});
