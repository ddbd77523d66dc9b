import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPlanStages } from '../../../../functions/plan-stages/plan-stages.js';
import { ownershipLabels } from '../../../../shared/job-labels.js';
import type { KubeObject } from '../../../../shared/kube/types.js';
import {
  claim,
  executionObject,
  harness,
  id,
  jobAction,
  readExecution,
  requestsIn,
  seedPlan,
  stageOf,
  statusOf,
} from '../../../support/orchestration-helpers.js';
import type { Harness } from '../../../support/orchestration-helpers.js';

function jobOf(h: Harness, name: string, namespace: string, labels: Record<string, string>): KubeObject {
  return h.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace, labels } });
}

/** A Job action in namespace `batch`, claimed without a recorded jobRef (run-action crashed before saving it). */
async function claimedWithoutRef(h: Harness): Promise<{ uid: string }> {
  seedPlan(h.kube, 'p', [stageOf('s', ['wf'])], {
    wf: [
      jobAction('migrate', {
        timeout: '1m',
        retryPolicy: { limit: 0 },
        job: { namespace: 'batch', template: { spec: { template: { spec: { containers: [{ name: 'm', image: 'busybox' }] } } } } },
      }),
    ],
  });
  h.kube.seed(executionObject('run-1', 'p'));
  const [request] = requestsIn(await createPlanStages(h).reconcile(id('run-1')));
  if (request === undefined) throw new Error('no request');
  await claim(h, request);
  return { uid: (await readExecution(h.kube, 'run-1')).metadata.uid ?? '' };
}

describe('stopping the Job of a timed-out attempt', () => {
  test("without a recorded jobRef, the Job is found by the attempt's labels in the action's namespace and deleted", async () => {
    const h = harness();
    const { uid } = await claimedWithoutRef(h);
    const execution = { name: 'run-1', namespace: 'default', uid };
    jobOf(h, 'mine', 'batch', ownershipLabels({ execution, path: 's/0/migrate', attempt: 1 }));
    jobOf(h, 'other-attempt', 'batch', ownershipLabels({ execution, path: 's/0/migrate', attempt: 2 }));
    jobOf(h, 'other-action', 'batch', ownershipLabels({ execution, path: 's/0/other', attempt: 1 }));
    h.clock.advance(61);

    await createPlanStages(h).resync();

    const left = await h.kube.list('batch/v1', 'Job', { namespace: 'batch' });
    assert.deepEqual(left.map((job) => job.metadata.name).sort(), ['other-action', 'other-attempt']);
  });

  test('a failing Job deletion is logged and does not undo the status already written', async () => {
    const h = harness();
    await claimedWithoutRef(h);
    const list = h.kube.list.bind(h.kube);
    h.kube.list = async (apiVersion, kind, options) =>
      kind === 'Job' ? Promise.reject(Object.assign(new Error('the API is down'), { code: 503 })) : list(apiVersion, kind, options);
    h.clock.advance(61);

    const replies = await createPlanStages(h).resync();

    assert.equal((await statusOf(h.kube, 'run-1')).phase, 'Failed');
    assert.deepEqual(
      replies.map((reply) => reply.type),
      ['com.tencent.bkbcs.dr.action.failed', 'com.tencent.bkbcs.dr.execution.finished'],
    );
    const logged = h.log.lines.find((line) => line.message === 'deleting the job of a stopped attempt failed');
    assert.equal(logged?.level, 'error');
    assert.deepEqual([logged.fields['execution'], logged.fields['action'], logged.fields['attempt']], ['run-1', 'migrate', 1]);
  });
});
