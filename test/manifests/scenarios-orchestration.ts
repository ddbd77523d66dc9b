/**
 * Scenarios that take plan-stages, revert and cancel through every API call they make: a whole run
 * (lock, ownership, freeze, status, Events, history), the resync failing a timed-out Job attempt (its
 * Job found by label and deleted), the finalizer of a deleted execution, and both cancel paths.
 * run-action's part is played by the helpers on the unrecorded FakeKube.
 */
import { createCancel } from '../../functions/cancel/cancel.js';
import { createPlanStages } from '../../functions/plan-stages/plan-stages.js';
import { createRevert } from '../../functions/revert/revert.js';
import { Annotations } from '../../shared/api/index.js';
import type { CoreDeps, Outcome } from '../../shared/function-deps.js';
import type { Kube } from '../../shared/kube/types.js';
import { attemptSelector, OwnershipLabels } from '../../shared/job-labels.js';
import type { Harness } from '../support/orchestration-helpers.js';
import {
  claim,
  driveToEnd,
  executionKey,
  executionObject,
  harness,
  http,
  id,
  jobAction,
  NS,
  planKey,
  readExecution,
  requestsIn,
  seedPlan,
  stageOf,
} from '../support/orchestration-helpers.js';
import type { Scenario } from './kube-usage.js';

const recorded = (h: Harness, record: (inner: Kube) => Kube): CoreDeps => ({ ...h, kube: record(h.kube) });

/** A Job of the attempt, carrying the labels run-action gives it, but not recorded in the status (run-action crashed in between). */
async function unrecordedJob(h: Harness, execution: string, path: string, attempt = 1): Promise<void> {
  const uid = (await readExecution(h.kube, execution)).metadata.uid ?? '';
  const labels: Record<string, string> = {};
  for (const term of attemptSelector(uid, path, attempt).split(',')) {
    const [key = '', value = ''] = term.split('=');
    labels[key] = value;
  }
  h.kube.seed({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${execution}-job-${attempt}`, namespace: NS, labels: { ...labels, [OwnershipLabels.managedBy]: 'drplan' } },
  });
}

/** run-1 of plan p: one Job action (1m timeout, no retry) requested and claimed; its Job exists but is not recorded. */
async function claimedJob(h: Harness, record?: (inner: Kube) => Kube): Promise<Outcome> {
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: [jobAction('migrate', { timeout: '1m', retryPolicy: { limit: 0 } })] });
  h.kube.seed(executionObject('run-1', 'p'));
  const replies = await createPlanStages(record === undefined ? h : recorded(h, record)).reconcile(id('run-1'));
  const [request] = requestsIn(replies);
  if (request === undefined) throw new Error('the Job action was not requested');
  await claim(h, request);
  await unrecordedJob(h, 'run-1', request.path);
  return replies;
}

const undo = (name: string): Record<string, unknown> => ({ type: 'HTTP', http: { url: `https://svc.example/undo-${name}`, method: 'POST' } });

/** run-1 executed to the end: a1 and a2 succeeded, each with a custom rollback (a2's is a Job with a 1m timeout). */
async function executed(h: Harness): Promise<void> {
  const { name: _name, ...jobUndo } = jobAction('undo-a2', { timeout: '1m', retryPolicy: { limit: 0 } });
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: [http('a1', { rollback: undo('a1') }), http('a2', { rollback: jobUndo })] });
  h.kube.seed(executionObject('run-1', 'p'));
  await driveToEnd(h, createPlanStages(h), 'run-1');
}

/** Pauses `name` (the annotation), reconciles, resumes, reconciles: execution.paused, then execution.resumed. */
async function pausedAndResumed(h: Harness, reconcile: (id: { name: string; namespace: string }) => Promise<Outcome>, name: string): Promise<Outcome[]> {
  await h.kube.mergePatch(executionKey(name), { metadata: { annotations: { [Annotations.pause]: 'true' } } });
  const paused = await reconcile(id(name));
  await h.kube.mergePatch(executionKey(name), { metadata: { annotations: { [Annotations.pause]: null } } });
  return [paused, await reconcile(id(name))];
}

export const planStagesScenarios: readonly Scenario[] = [
  {
    name: 'an execution is paused, then resumed',
    async run(record) {
      const h = harness();
      const started = await claimedJob(h, record);
      const core = createPlanStages(recorded(h, record));
      return [started, ...(await pausedAndResumed(h, (target) => core.reconcile(target), 'run-1'))];
    },
  },
  {
    name: 'an execution runs from start to finish',
    async run(record) {
      const h = harness();
      seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], { wf: ['a', 'b'] });
      h.kube.seed(executionObject('run-1', 'p'));
      return (await driveToEnd(h, createPlanStages(recorded(h, record)), 'run-1')).replies.map((reply) => [reply]);
    },
  },
  {
    name: 'the resync fails a timed-out Job attempt and deletes the Job it finds by label',
    async run(record) {
      const h = harness();
      const started = await claimedJob(h, record);
      h.clock.advance(61);
      return [started, await createPlanStages(recorded(h, record)).resync()];
    },
  },
  {
    name: 'an execution deleted mid-run is cancelled, recorded in the plan history and released',
    async run(record) {
      const h = harness();
      const started = await claimedJob(h, record);
      await h.kube.remove(executionKey('run-1'));
      return [started, await createPlanStages(recorded(h, record)).reconcile(id('run-1'))];
    },
  },
];

export const revertScenarios: readonly Scenario[] = [
  {
    name: 'a revert is paused, then resumed',
    async run(record) {
      const h = harness();
      await executed(h);
      h.kube.seed(executionObject('undo-1', 'p', { operationType: 'Revert', revertExecutionRef: 'run-1' }));
      const revert = createRevert(recorded(h, record));
      const started = await revert.reconcile(id('undo-1'));
      return [started, ...(await pausedAndResumed(h, (target) => revert.reconcile(target), 'undo-1'))];
    },
  },
  {
    name: 'a revert rolls back what the execution did, in reverse order',
    async run(record) {
      const h = harness();
      await executed(h);
      h.kube.seed(executionObject('undo-1', 'p', { operationType: 'Revert', revertExecutionRef: 'run-1' }));
      return (await driveToEnd(h, createRevert(recorded(h, record)), 'undo-1')).replies.map((reply) => [reply]);
    },
  },
  {
    name: 'the resync fails a timed-out rollback Job and deletes the Job it finds by label',
    async run(record) {
      const h = harness();
      await executed(h);
      h.kube.seed(executionObject('undo-1', 'p', { operationType: 'Revert', revertExecutionRef: 'run-1' }));
      const revert = createRevert(recorded(h, record));
      const started = await revert.reconcile(id('undo-1'));
      const [request] = requestsIn(started);
      if (request === undefined) throw new Error('no rollback was requested');
      await claim(h, request);
      await unrecordedJob(h, 'undo-1', request.path);
      h.clock.advance(61);
      return [started, await revert.resync()];
    },
  },
];

export const cancelScenarios: readonly Scenario[] = [
  {
    name: 'the cancel annotation stops a running execution and deletes its Job',
    async run(record) {
      const h = harness();
      await claimedJob(h);
      await h.kube.mergePatch(executionKey('run-1'), { metadata: { annotations: { [Annotations.cancel]: 'true' } } });
      return [await createCancel(recorded(h, record)).onExecution(id('run-1'))];
    },
  },
  {
    name: 'the plan trigger cancels the running execution and is removed',
    async run(record) {
      const h = harness();
      await claimedJob(h);
      await h.kube.mergePatch(planKey('p'), { metadata: { annotations: { [Annotations.trigger]: 'cancel' } } });
      return [await createCancel(recorded(h, record)).onPlan(id('p'))];
    },
  },
];
