/**
 * plan-stages entry point for faas-js-runtime: `init` builds the dependencies once, `handle` unwraps the
 * CloudEvent, calls the core (./plan-stages.ts) through its route (shared/runtime/routes.ts) and replies.
 */
import { routePlanStages } from '../../shared/runtime/routes.js';
import { defineFunction } from '../../shared/runtime/wiring.js';
import { createPlanStages } from './plan-stages.js';

export const { init, handle } = defineFunction({
  name: 'plan-stages',
  create: (deps) => createPlanStages(deps),
  route: routePlanStages,
});
