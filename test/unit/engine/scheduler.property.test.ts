/**
 * Property tests: random stage DAGs driven by a simulated run-action that delivers requests late, twice
 * or never, loses attempts after claiming them, and reports random outcomes — while the invariants of
 * the scheduler are checked after every decision.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Action, DRPlanExecutionStatus, ResolvedPlan, ResolvedStage } from '../../../shared/api/index.js';
import type { AttemptResult } from '../../../shared/engine/attempt.js';
import { claimAttempt, recordAttempt } from '../../../shared/engine/attempt.js';
import type { ActionRequest, Decision } from '../../../shared/engine/scheduler.js';
import { schedule } from '../../../shared/engine/scheduler.js';
import { T0 } from './scheduler-helpers.js';

const ROUND_MS = 20_000;
/** After this many rounds the simulated run-action stops misbehaving, so every run can end. */
const CALM_AFTER = 60;
const MAX_ROUNDS = 3000;

const actionArb = fc.record({
  when: fc.option(fc.constantFrom('false', 'TRUE', ' 0 ', ''), { freq: 5, nil: undefined }),
  timeoutMinutes: fc.integer({ min: 1, max: 5 }),
  limit: fc.integer({ min: 0, max: 2 }),
  intervalSeconds: fc.constantFrom(0, 5, 30, 60),
  dependsOnPrevious: fc.boolean(),
});
type ActionShape = typeof actionArb extends fc.Arbitrary<infer T> ? T : never;

const workflowArb = fc.record({
  failurePolicy: fc.constantFrom('FailFast' as const, 'Continue' as const),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 3 }),
});

const stageArb = (index: number) =>
  fc.record({
    dependsOn: fc.subarray(Array.from({ length: index }, (_, i) => `st${i}`)),
    parallel: fc.boolean(),
    failurePolicy: fc.constantFrom('Stop' as const, 'Continue' as const, 'FailFast' as const),
    workflows: fc.array(workflowArb, { minLength: 1, maxLength: 3 }),
  });

function toAction(shape: ActionShape, index: number): Action {
  return {
    name: `a${index}`,
    type: 'HTTP',
    timeout: `${shape.timeoutMinutes}m`,
    retryPolicy: { limit: shape.limit, interval: `${shape.intervalSeconds}s`, backoffMultiplier: '2.0' },
    http: { url: `http://target.example/${index}`, method: 'POST' },
    ...(shape.when === undefined ? {} : { when: shape.when }),
    ...(shape.dependsOnPrevious && index > 0 ? { dependsOn: [`a${index - 1}`] } : {}),
  };
}

/** Random DAGs: each stage may depend on any earlier stage (listed in a shuffled order). */
const planArb: fc.Arbitrary<ResolvedPlan> = fc
  .integer({ min: 1, max: 5 })
  .chain((size) => fc.tuple(fc.tuple(...Array.from({ length: size }, (_, i) => stageArb(i))), fc.func(fc.integer())))
  .map(([shapes, key]) => {
    const stages: ResolvedStage[] = shapes.map((shape, i) => ({
      name: `st${i}`,
      dependsOn: shape.dependsOn,
      parallel: shape.parallel,
      failurePolicy: shape.failurePolicy,
      workflows: shape.workflows.map((wf, w) => ({
        workflowRef: { name: `wf${w}`, namespace: 'dr' },
        failurePolicy: wf.failurePolicy,
        actions: wf.actions.map(toAction),
      })),
    }));
    return { failurePolicy: 'Stop', stages: [...stages].sort((a, b) => key(a.name) - key(b.name)) };
  });

const choicesArb = fc.array(fc.nat(99), { minLength: 10, maxLength: 200 });

interface Simulation {
  resolved: ResolvedPlan;
  choices: readonly number[];
  cursor: number;
  failures: boolean;
  cancels: boolean;
  status: DRPlanExecutionStatus;
  inflight: ActionRequest[];
  round: number;
}

function roll(sim: Simulation): number {
  const value = sim.choices[sim.cursor % sim.choices.length] ?? 50;
  sim.cursor += 1;
  return value;
}

const policyOf = (sim: Simulation, request: ActionRequest) =>
  sim.resolved.stages?.find((s) => s.name === request.stage)?.workflows[request.workflowIndex]?.actions.find((a) => a.name === request.action)?.retryPolicy;

function outcome(sim: Simulation): AttemptResult | 'lost' {
  const value = roll(sim);
  if (!sim.failures) return { ok: true };
  if (value < 15 && sim.round < CALM_AFTER) return 'lost';
  if (value < 30) return { ok: false, retryable: true, message: 'flaky' };
  if (value < 40) return { ok: false, retryable: false, message: 'refused' };
  return { ok: true };
}

/** run-action's part: claim, then record an outcome (or lose the attempt). Returns false to keep it for later. */
function deliver(sim: Simulation, request: ActionRequest, now: Date): boolean {
  const misbehave = sim.round < CALM_AFTER ? roll(sim) : 99;
  if (misbehave < 8) return true;
  if (misbehave < 16) return false;
  const claim = claimAttempt(sim.status, request.path, request.attempt, now);
  if (!claim.claimed) return true;
  assert.equal(claimAttempt(claim.status, request.path, request.attempt, now).claimed, false, 'a second claim is a no-op');
  sim.status = claim.status;
  const result = outcome(sim);
  if (result === 'lost') return true;
  const record = recordAttempt(sim.status, { path: request.path, attempt: request.attempt, result: result, policy: policyOf(sim, request), now: now });
  assert.equal(record.recorded, true);
  sim.status = record.status;
  return true;
}

const DONE: readonly string[] = ['Succeeded', 'Failed', 'Skipped'];
const ACTIVE = (phase: string, attempt: number | undefined): boolean =>
  phase === 'Running' || phase === 'Unknown' || (phase === 'Pending' && attempt !== undefined);

/** No action is requested, and no stage starts, before every stage it depends on Succeeded. */
function checkDependencies(decision: Decision): void {
  const stages = decision.status.stageStatuses ?? [];
  const phaseOf = new Map(stages.map((s) => [s.name, s.phase]));
  for (const request of decision.requests) {
    const stage = stages.find((s) => s.name === request.stage);
    for (const dep of stage?.dependsOn ?? []) assert.equal(phaseOf.get(dep), 'Succeeded', `${request.path} requested before stage ${dep} succeeded`);
  }
  for (const stage of stages.filter((s) => s.startTime !== undefined)) {
    for (const dep of stage.dependsOn ?? []) assert.equal(phaseOf.get(dep), 'Succeeded', `stage ${stage.name} started before ${dep} succeeded`);
  }
}

/** Never two actions of one workflow requested or running at once. */
function checkOneAtATime(decision: Decision): void {
  for (const stage of decision.status.stageStatuses ?? []) {
    for (const wf of stage.workflowExecutions ?? []) {
      const active = (wf.actionStatuses ?? []).filter((a) => ACTIVE(a.phase, a.attempt));
      assert.ok(active.length <= 1, `two actions of ${stage.name}/${wf.workflowRef.name} at once`);
    }
  }
}

/** One request per action per decision, and never for an action that was already done. */
function checkRequests(before: DRPlanExecutionStatus, decision: Decision): void {
  const paths = decision.requests.map((r) => r.path);
  assert.equal(new Set(paths).size, paths.length, 'one request per action per decision');
  for (const request of decision.requests) {
    const [stageName, index, name] = request.path.split('/');
    const previous = before.stageStatuses?.find((s) => s.name === stageName)?.workflowExecutions?.[Number(index)]?.actionStatuses?.find((a) => a.name === name);
    assert.ok(previous === undefined || !DONE.includes(previous.phase), `${request.path} requested after it was done`);
  }
}

function checkInvariants(before: DRPlanExecutionStatus, decision: Decision): void {
  checkDependencies(decision);
  checkOneAtATime(decision);
  checkRequests(before, decision);
}

function checkIdempotent(sim: Simulation, decision: Decision, now: Date, cancelRequested: boolean): void {
  const again = schedule({ resolved: sim.resolved, status: decision.status, now, cancelRequested });
  assert.equal(again.changed, false, 'scheduling the output again changes nothing');
  assert.deepEqual([again.requests, again.events, again.timedOut, again.cancelled], [[], [], [], []]);
}

function checkFinished(decision: Decision): void {
  const status = decision.status;
  assert.ok(status.completionTime !== undefined);
  assert.ok(['Succeeded', 'Failed', 'Cancelled'].includes(status.phase ?? ''));
  for (const stage of status.stageStatuses ?? []) {
    assert.ok(DONE.includes(stage.phase), `stage ${stage.name} left ${stage.phase}`);
    for (const wf of stage.workflowExecutions ?? []) {
      assert.ok(DONE.includes(wf.phase), `workflow left ${wf.phase}`);
      for (const action of wf.actionStatuses ?? []) assert.ok(DONE.includes(action.phase), `action ${action.name} left ${action.phase}`);
    }
  }
}

/** Drives one execution to its end and returns the deciding decision. */
function simulate(sim: Simulation): Decision {
  for (; sim.round < MAX_ROUNDS; sim.round++) {
    const now = new Date(T0.getTime() + sim.round * ROUND_MS);
    const cancelRequested = sim.cancels && sim.round > 0 && roll(sim) < 3;
    const before = sim.status;
    const decision = schedule({ resolved: sim.resolved, status: before, now, cancelRequested });
    checkInvariants(before, decision);
    checkIdempotent(sim, decision, now, cancelRequested);
    sim.status = decision.status;
    if (decision.finished !== undefined) return decision;
    const duplicates = sim.round < CALM_AFTER ? decision.requests.filter(() => roll(sim) < 10) : [];
    sim.inflight = [...sim.inflight, ...decision.requests, ...duplicates].filter((request) => !deliver(sim, request, now));
  }
  throw new Error(`no end after ${MAX_ROUNDS} rounds`);
}

const newSimulation = (resolved: ResolvedPlan, choices: readonly number[], failures: boolean, cancels: boolean): Simulation => ({
  resolved,
  choices,
  cursor: 0,
  failures,
  cancels,
  status: {},
  inflight: [],
  round: 0,
});

describe('scheduler properties', () => {
  test('every run keeps the invariants and ends with a completion time and nothing Pending or Running', () => {
    fc.assert(
      fc.property(planArb, choicesArb, fc.boolean(), (resolved, choices, cancels) => {
        const sim = newSimulation(resolved, choices, true, cancels);

        const final = simulate(sim);

        checkFinished(final);
        const after = schedule({ resolved, status: final.status, now: new Date(T0.getTime() + 86_400_000), cancelRequested: true });
        assert.equal(after.changed, false, 'a finished execution never changes');
      }),
      { numRuns: 150 },
    );
  });

  test('with every outcome a success the execution Succeeds, however requests are delivered', () => {
    fc.assert(
      fc.property(planArb, choicesArb, (resolved, choices) => {
        const sim = newSimulation(resolved, choices, false, false);

        const final = simulate(sim);

        assert.equal(final.finished?.phase, 'Succeeded', final.finished?.message);
        checkFinished(final);
      }),
      { numRuns: 100 },
    );
  });

  test('an execution that is not cancelled ends Succeeded exactly when no action failed', () => {
    fc.assert(
      fc.property(planArb, choicesArb, (resolved, choices) => {
        const sim = newSimulation(resolved, choices, true, false);

        const final = simulate(sim);

        const failed = (final.status.summary?.failedActions ?? 0) > 0;
        assert.equal(final.finished?.phase, failed ? 'Failed' : 'Succeeded');
      }),
      { numRuns: 100 },
    );
  });
});
