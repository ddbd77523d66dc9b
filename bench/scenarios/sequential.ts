/**
 * Scenario 1 (and the counts of scenario 3): one workflow of N HTTP actions against the demo target,
 * which answers after a fixed delay, compared with the same N requests made directly one after
 * another in the same run. The per-action overhead is the gap the target sees between the end of one
 * request and the start of the next (the first gap from the execution's creation, the last up to the
 * terminal phase seen).
 */
import { difference, type VerbCounts } from '../api-proxy.js';
import { percentile, ms, atMost, type ScenarioResult } from '../report.js';
import { applyReady, executePlan, retriedActions } from '../run-plan.js';
import { SLOW_PATH, type BenchStack, type EventCounts } from '../stack.js';
import { chainPlan, httpWorkflow } from '../plans.js';

export interface SequentialMeasure {
  actions: number;
  planMs: number;
  baselineMs: number;
  /** Gaps between consecutive requests (N − 1 of them), ms. */
  gaps: number[];
  firstMs: number;
  tailMs: number;
  api: VerbCounts;
  /** API requests by `verb resource`. */
  apiByResource: VerbCounts;
  events: EventCounts;
  /** Writes answered 409 during the execution. */
  conflicts: number;
  phase: string;
  retried: number;
}

async function baseline(url: string, actions: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < actions; i += 1) {
    const response = await fetch(url);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`baseline request ${i + 1}: ${response.status}`);
  }
  return performance.now() - started;
}

export function eventDifference(after: EventCounts, before: EventCounts): EventCounts {
  const byType = difference(after.byType, before.byType);
  return {
    accepted: after.accepted - before.accepted,
    deliveries: after.deliveries - before.deliveries,
    byType,
    acceptedBytes: after.acceptedBytes - before.acceptedBytes,
    deliveredBytes: after.deliveredBytes - before.deliveredBytes,
  };
}

/** Runs the plan and the baseline; `tag` keeps object names apart between runs. */
export async function measureSequential(bench: BenchStack, actions: number, tag: string): Promise<SequentialMeasure> {
  const url = `${bench.target.url}${SLOW_PATH}`;
  const workflow = httpWorkflow(`seq-${tag}`, actions, url);
  const plan = chainPlan(`seq-${tag}`, [{ workflows: [`seq-${tag}`] }]);
  await applyReady(bench, [workflow, plan], 60_000);
  const baselineMs = await baseline(url, actions);
  bench.target.reset();
  const apiBefore = bench.proxy.counts();
  const resourcesBefore = bench.proxy.byResource();
  const eventsBefore = bench.eventRecords();
  const conflictsBefore = bench.proxy.conflicts();
  const finished = await executePlan(bench, `seq-${tag}`, `seq-${tag}`, 120_000 + actions * 2_000);
  const api = difference(bench.proxy.counts(), apiBefore);
  const apiByResource = difference(bench.proxy.byResource(), resourcesBefore);
  const events = eventDifference(bench.eventRecords(), eventsBefore);
  const conflicts = bench.proxy.conflicts() - conflictsBefore;
  const requests = bench.target.requests().sort((a, b) => a.startedMs - b.startedMs);
  const gaps = requests.slice(1).map((request, index) => request.startedMs - (requests[index]?.finishedMs ?? request.startedMs));
  const firstMs = (requests[0]?.startedMs ?? finished.createdMs) - finished.createdMs;
  const tailMs = finished.createdMs + finished.elapsedMs - (requests.at(-1)?.finishedMs ?? finished.createdMs);
  return {
    actions,
    planMs: finished.elapsedMs,
    baselineMs,
    gaps,
    firstMs,
    tailMs,
    api,
    apiByResource,
    events,
    conflicts,
    phase: finished.phase,
    retried: retriedActions(finished.status),
  };
}

export async function sequentialScenario(bench: BenchStack, actions: number): Promise<{ result: ScenarioResult; measure: SequentialMeasure }> {
  const measure = await measureSequential(bench, actions, `n${actions}`);
  const name = `1 sequential N=${actions}`;
  const overhead = (measure.planMs - measure.baselineMs) / actions;
  const rows = [
    { scenario: name, measure: 'phase', value: measure.phase, aim: 'Succeeded', met: measure.phase === 'Succeeded' },
    { scenario: name, measure: 'plan time', value: ms(measure.planMs) },
    { scenario: name, measure: 'actions needing a 2nd attempt', value: String(measure.retried), aim: '0', met: measure.retried === 0 },
    { scenario: name, measure: 'baseline (direct requests)', value: ms(measure.baselineMs) },
    atMost(name, 'ratio plan/baseline', measure.planMs / measure.baselineMs, { limit: 1.25, show: (v) => v.toFixed(2) }),
    atMost(name, 'conflicts (409)', measure.conflicts, { limit: 0, show: String }),
    { scenario: name, measure: 'overhead per action (plan − baseline)/N', value: ms(overhead) },
    atMost(name, 'gap between actions p50', percentile(measure.gaps, 50), { limit: 5, show: ms }),
    atMost(name, 'gap between actions p99', percentile(measure.gaps, 99), { limit: 25, show: ms }),
    { scenario: name, measure: 'creation → first request', value: ms(measure.firstMs) },
    { scenario: name, measure: 'last answer → terminal phase seen', value: ms(measure.tailMs) },
  ];
  return { result: { scenario: name, rows, details: { ...measure } }, measure };
}
