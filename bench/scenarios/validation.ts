/**
 * Scenario 8: the cost of checking and rendering user input, which must be linear in its size (a
 * quadratic check once kept validate-workflow busy for minutes on a 700 KB object). A DRWorkflow of
 * 64 KiB and one of 1 MiB, as hostile as a valid object can be (bench/fixtures/large-workflow.ts), are
 * validated as validate-workflow does and their actions rendered as plan-stages does at a start; the
 * best of three runs each. Linear work makes the 1 MiB / 64 KiB ratio about 16; quadratic, about 256.
 */
import { renderAction } from '../../shared/engine/render.js';
import type { Problem } from '../../shared/engine/problems.js';
import { validateWorkflow } from '../../shared/engine/validate-workflow.js';
import { largeWorkflow } from '../fixtures/large-workflow.js';
import { atMost, type Row, type ScenarioResult } from '../report.js';

const SMALL = 64 * 1024;
const LARGE = 1024 * 1024;
const RUNS = 3;
const TEMPLATE = { params: { app: 'shop', site: 'site-b', replicas: '3', region: 'eu' }, builtins: {} };

function bestOf(work: () => void): number {
  let best = Infinity;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

function measure(bytes: number): { size: number; validateMs: number; renderMs: number } {
  const { object, size } = largeWorkflow(bytes);
  const checked = validateWorkflow(object);
  const workflow = checked.workflow;
  if (workflow === undefined || checked.problems.length > 0) throw new Error(`the ${size}-byte workflow is not valid: ${JSON.stringify(checked.problems[0])}`);
  const validateMs = bestOf(() => validateWorkflow(object));
  const renderMs = bestOf(() => {
    const problems: Problem[] = [];
    workflow.spec.actions.forEach((action, index) => renderAction(action, TEMPLATE, `spec.actions[${index}]`, problems));
  });
  return { size, validateMs, renderMs };
}

export function validationScenario(): Promise<ScenarioResult> {
  const name = '8 input checks (1 MiB vs 64 KiB)';
  measure(SMALL); // warm-up: the first run compiles
  const small = measure(SMALL);
  const large = measure(LARGE);
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const ratio = (v: number): string => v.toFixed(1);
  const rows: Row[] = [
    { scenario: name, measure: 'validate 64 KiB workflow', value: ms(small.validateMs) },
    atMost(name, 'validate 1 MiB workflow', large.validateMs, { limit: 1000, show: ms }),
    atMost(name, 'validate time 1 MiB / 64 KiB', large.validateMs / small.validateMs, { limit: 32, show: ratio }),
    { scenario: name, measure: 'render 64 KiB workflow', value: ms(small.renderMs) },
    { scenario: name, measure: 'render 1 MiB workflow', value: ms(large.renderMs) },
    atMost(name, 'render time 1 MiB / 64 KiB', large.renderMs / small.renderMs, { limit: 32, show: ratio }),
  ];
  return Promise.resolve({ scenario: name, rows, details: { small, large } });
}
