import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DRPlanExecution, DRPlanExecutionStatus, ResolvedPlan } from '../../../shared/api/index.js';
import { executionReport, objectiveLine, reportMarkdown, reportText } from '../../../shared/engine/report.js';
import { driveToEnd, fatal, ok, plan, stage, workflow } from './scheduler-helpers.js';

/** Two stages, `cut` after `prep`; driven 10 minutes a round, so the run takes 20 minutes. */
const twoStages = (rto?: string): ResolvedPlan => ({
  ...plan(stage('prep', [workflow('wf', ['a'])]), stage('cut', [workflow('dns', ['b']), workflow('lb', ['c'])], { dependsOn: ['prep'], parallel: true })),
  ...(rto === undefined ? {} : { objectives: { rto } }),
});

const conditionOf = (status: DRPlanExecutionStatus, type: string) => status.conditions?.find((condition) => condition.type === type);

describe('an execution against its recovery time objective', () => {
  test('within it: ObjectiveMet is True, no Warning', () => {
    const { decision, events } = driveToEnd(twoStages('1h'));
    assert.equal(decision.status.phase, 'Succeeded');
    assert.deepEqual(
      { ...conditionOf(decision.status, 'ObjectiveMet'), lastTransitionTime: undefined },
      { type: 'ObjectiveMet', status: 'True', reason: 'WithinObjective', message: 'took 20m0s of the 1h0m objective', lastTransitionTime: undefined },
    );
    assert.equal(
      events.some((event) => event.reason === 'ObjectiveMissed'),
      false,
    );
  });

  test('over it: ObjectiveMet is False and a Warning Event says by how much', () => {
    const { decision, events } = driveToEnd(twoStages('5m'));
    assert.deepEqual(
      [conditionOf(decision.status, 'ObjectiveMet')?.status, conditionOf(decision.status, 'ObjectiveMet')?.reason],
      ['False', 'ObjectiveExceeded'],
    );
    const missed = events.filter((event) => event.reason === 'ObjectiveMissed');
    assert.deepEqual(
      missed.map((event) => [event.type, event.message]),
      [['Warning', 'Succeeded; took 20m0s of the 5m0s objective: over by 15m0s']],
    );
  });

  test('a Failed run within the time has not met it: nothing was recovered', () => {
    const { decision } = driveToEnd(twoStages('1h'), (path) => (path === 'prep/0/a' ? fatal() : ok));
    assert.deepEqual([conditionOf(decision.status, 'ObjectiveMet')?.status, conditionOf(decision.status, 'ObjectiveMet')?.reason], ['False', 'Failed']);
  });

  test('without an objective there is no ObjectiveMet condition', () => {
    const { decision } = driveToEnd(twoStages());
    assert.equal(conditionOf(decision.status, 'ObjectiveMet'), undefined);
  });

  test('every end sets Complete, Succeeded and Failed for kubectl wait', () => {
    const { decision } = driveToEnd(twoStages(), (path) => (path === 'cut/1/c' ? fatal() : ok));
    assert.deepEqual(
      ['Complete', 'Succeeded', 'Failed'].map((type) => conditionOf(decision.status, type)?.status),
      ['True', 'False', 'True'],
    );
  });
});

describe('the report of an execution', () => {
  const driven = (rto: string): DRPlanExecution => {
    const { decision } = driveToEnd(twoStages(rto), (path, attempt) =>
      path === 'cut/0/b' && attempt === 1 ? { ok: false, retryable: true, message: 'HTTP 503' } : ok,
    );
    const status = { ...decision.status, resolved: twoStages(rto) };
    return { metadata: { name: 'run-1', namespace: 'shop' }, spec: { planRef: 'shop-failover', operationType: 'Execute' }, status };
  };

  test('gives the total, each stage, the critical path, retries and the objective', () => {
    const report = executionReport(driven('1h'));
    assert.deepEqual(
      { phase: report.phase, minutes: (report.durationMs ?? 0) / 60_000, retries: report.retries, objective: report.objective },
      { phase: 'Succeeded', minutes: 30, retries: 1, objective: { rtoMs: 3_600_000, met: true, marginMs: 1_800_000 } },
    );
    assert.deepEqual(
      report.stages.map((stage) => [stage.name, (stage.durationMs ?? 0) / 60_000, stage.workflows.length]),
      [
        ['prep', 10, 1],
        ['cut', 20, 2],
      ],
    );
    // the retried workflow ended last in `cut`: it is on the critical path
    assert.deepEqual(
      report.criticalPath.map((step) => [step.stage, step.workflow]),
      [
        ['prep', 'dr/wf'],
        ['cut', 'dr/dns'],
      ],
    );
    assert.equal(report.stages[1]?.workflows[0]?.actions[0]?.retries, 1);
  });

  test('says when the objective was exceeded, and by how much', () => {
    assert.equal(objectiveLine(executionReport(driven('20m'))), 'objective: EXCEEDED — 30m0s of the 20m0s RTO, over by 10m0s');
  });

  test('prints as text and as Markdown', () => {
    const report = executionReport(driven('1h'));
    const text = reportText(report);
    assert.match(
      text,
      /^execution shop\/run-1 \(Execute of plan shop-failover\): Succeeded in 30m0s\nobjective: met — 30m0s of the 1h0m RTO \(30m0s to spare\)\n/,
    );
    assert.match(text, /critical path: prep \[dr\/wf\] 10m0s → cut \[dr\/dns\] 20m0s/);
    assert.match(text, /\n {4}b: Succeeded, 10m0s, 1 retry \(10m0s\)\n/);
    const markdown = reportMarkdown(report);
    assert.match(markdown, /^## Execute shop\/run-1 — Succeeded\n/);
    assert.match(markdown, /\| Stage \| Workflow \| Action \| Phase \| Duration \| Retries \|/);
    assert.match(markdown, /\| \| dr\/dns \| b \| Succeeded \| 10m0s \| 1 \|/);
  });
});
