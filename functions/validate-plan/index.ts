/**
 * validate-plan entry point for faas-js-runtime: `init` builds the dependencies once, `handle` unwraps the
 * CloudEvent, calls the core (./validate-plan.ts) through its route (shared/runtime/routes.ts) and replies.
 */
import { routeValidatePlan } from '../../shared/runtime/routes.js';
import { defineFunction } from '../../shared/runtime/wiring.js';
import { createValidatePlan } from './validate-plan.js';

export const { init, handle } = defineFunction({
  name: 'validate-plan',
  create: (deps) => createValidatePlan(deps),
  route: routeValidatePlan,
});
