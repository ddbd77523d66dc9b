/**
 * validate-workflow entry point for faas-js-runtime: `init` builds the dependencies once, `handle` unwraps the
 * CloudEvent, calls the core (./validate-workflow.ts) through its route (shared/runtime/routes.ts) and replies.
 */
import { routeValidateWorkflow } from '../../shared/runtime/routes.js';
import { defineFunction } from '../../shared/runtime/wiring.js';
import { createValidateWorkflow } from './validate-workflow.js';

export const { init, handle } = defineFunction({
  name: 'validate-workflow',
  create: (deps) => createValidateWorkflow(deps),
  route: routeValidateWorkflow,
});
