/**
 * Scenario 4: one execution of a plan of many actions (one stage of ten parallel workflows, each a
 * tenth of the actions, answered at once): the size of the DRPlanExecution at the end — its stored
 * JSON — and the total time. The only companion objects an execution has are core Events, one per
 * recorded transition; their count is reported too.
 */
import { kib, ms, atMost, type Row, type ScenarioResult } from '../report.js';
import { applyReady, executeWithin, isUnfinished, keyOf, retriedActions, storedSize } from '../run-plan.js';
import { FAST_PATH, type BenchStack, type EventCounts } from '../stack.js';
import { eventDifference } from './sequential.js';
import { chainPlan, execution, httpWorkflow } from '../plans.js';

const PARALLEL = 10;
/** etcd refuses objects over 1.5 MiB; the design aims at half of a third of it for 1,000 actions. */
const AIM_BYTES = 512 * 1024;
/**
 * Each size gets this long (a minute, and a quarter of a second per action over 250: every status
 * write carries the whole object, so time grows faster than the size); an execution still running then
 * is deleted and reported unfinished.
 */
const budgetMs = (actions: number): number => 60_000 + Math.max(0, actions - 250) * 250;

async function one(bench: BenchStack, actions: number): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  const per = Math.ceil(actions / PARALLEL);
  const names = Array.from({ length: PARALLEL }, (_, index) => `scale-${actions}-${index + 1}`);
  const workflows = names.map((workflow) => httpWorkflow(workflow, per, `${bench.target.url}${FAST_PATH}`));
  const plan = chainPlan(`scale-${actions}`, [{ workflows: names }]);
  await applyReady(bench, [...workflows, plan], 120_000);
  const eventsBefore = bench.proxy.byResource()['create events'] ?? 0;
  const brokerBefore = bench.eventRecords();
  const conflictsBefore = bench.proxy.conflicts();
  const finished = await executeWithin(bench, `scale-${actions}`, `scale-${actions}`, budgetMs(actions));
  const name = `4 scale ${per * PARALLEL} actions`;
  if (isUnfinished(finished)) {
    return {
      rows: [{ scenario: name, measure: 'phase', value: `unfinished after ${ms(budgetMs(actions))}: ${finished.progress}`, aim: 'Succeeded', met: false }],
      details: { actions: per * PARALLEL, ...finished },
    };
  }
  const bytes = await storedSize(bench.kube, keyOf(execution(`scale-${actions}`, `scale-${actions}`)));
  const kubeEvents = (bench.proxy.byResource()['create events'] ?? 0) - eventsBefore;
  const broker = eventDifference(bench.eventRecords(), brokerBefore);
  const count = per * PARALLEL;
  const conflicts = bench.proxy.conflicts() - conflictsBefore;
  const rows: Row[] = [
    { scenario: name, measure: 'phase', value: finished.phase, aim: 'Succeeded', met: finished.phase === 'Succeeded' },
    { scenario: name, measure: 'total time', value: ms(finished.elapsedMs) },
    { scenario: name, measure: 'actions needing a 2nd attempt', value: String(retriedActions(finished.status)) },
    actions >= 1000
      ? atMost(name, 'DRPlanExecution size', bytes, { limit: AIM_BYTES, show: kib })
      : { scenario: name, measure: 'DRPlanExecution size', value: kib(bytes) },
    { scenario: name, measure: 'bytes per action', value: (bytes / (per * PARALLEL)).toFixed(0) },
    { scenario: name, measure: 'core Events created', value: String(kubeEvents) },
    { scenario: name, measure: 'time per action', value: ms(finished.elapsedMs / count) },
    { scenario: name, measure: 'broker bytes accepted / action', value: (broker.acceptedBytes / count).toFixed(0) },
    { scenario: name, measure: 'broker bytes delivered / action', value: (broker.deliveredBytes / count).toFixed(0) },
    { scenario: name, measure: 'conflicts (409) / action', value: (conflicts / count).toFixed(2) },
  ];
  const details = { actions: count, bytes, elapsedMs: finished.elapsedMs, phase: finished.phase, kubeEvents, broker, conflicts };
  return { rows, details };
}

interface Run {
  actions: number;
  elapsedMs: number;
  phase: string;
  broker: EventCounts;
}

const isRun = (details: Record<string, unknown>): details is Record<string, unknown> & Run =>
  details.phase === 'Succeeded' && typeof details.elapsedMs === 'number';

/** How the cost of an action grows from the smallest size to the largest: time and broker bytes, per action. */
function growth(runs: readonly Record<string, unknown>[]): Row[] {
  const done = runs.filter(isRun);
  const small = done[0];
  const large = done.at(-1);
  if (small === undefined || large === undefined || small === large) return [];
  const name = `4 scale ${large.actions} vs ${small.actions}`;
  const perAction = (run: Run, value: number): number => value / run.actions;
  return [
    atMost(name, 'time per action, ratio', perAction(large, large.elapsedMs) / perAction(small, small.elapsedMs), { limit: 1.3, show: (v) => v.toFixed(2) }),
    atMost(name, 'broker bytes accepted per action, ratio', perAction(large, large.broker.acceptedBytes) / perAction(small, small.broker.acceptedBytes), {
      limit: 1.3,
      show: (v) => v.toFixed(2),
    }),
  ];
}

export async function scaleScenario(bench: BenchStack, sizes: readonly number[]): Promise<ScenarioResult> {
  const rows: Row[] = [];
  const runs: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const result = await one(bench, size);
    rows.push(...result.rows);
    runs.push(result.details);
  }
  rows.push(...growth(runs));
  return { scenario: '4 scale', rows, details: { runs } };
}
