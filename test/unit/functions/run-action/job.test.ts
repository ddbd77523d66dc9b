import { EventTypes } from '../../../../shared/events.js';
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import type { Action } from '../../../../shared/api/index.js';
import { jobName, OwnershipAnnotations, OwnershipLabels } from '../../../../shared/job-labels.js';
import type { KubeObject } from '../../../../shared/kube/types.js';
import type { World } from '../../../support/run-action-helpers.js';
import { editAction, EXEC, NS, pathOf, requested, UID, worldOf } from '../../../support/run-action-helpers.js';

const PATH = pathOf('restore-db');

function jobAction(extra: Partial<Action> = {}, namespace?: string): Action {
  const template = {
    metadata: { labels: { team: 'dba' } },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'busybox' }] } } },
  };
  return { name: 'restore-db', type: 'Job', timeout: '10m', job: { template, ...(namespace === undefined ? {} : { namespace }) }, ...extra };
}

const nameOf = (attempt: number): string => jobName({ execution: { name: EXEC, namespace: NS, uid: UID }, path: PATH, attempt }, 'restore-db');
const jobKey = (attempt: number, namespace = NS) => ({ apiVersion: 'batch/v1', kind: 'Job', name: nameOf(attempt), namespace });

async function storedJob(w: World, attempt = 1, namespace = NS): Promise<KubeObject> {
  const job = await w.kube.get(jobKey(attempt, namespace));
  assert.ok(job, `Job of attempt ${attempt} exists`);
  return job;
}

/** Moves the stored Job to a final condition, as the Job controller would. */
async function finishJob(w: World, type: 'Complete' | 'Failed', attempt = 1, extra: Record<string, string> = {}): Promise<KubeObject> {
  const condition = { type, status: 'True', ...extra };
  return w.kube.mergePatchStatus(jobKey(attempt), { status: { conditions: [condition] } });
}

describe('a Job action', () => {
  test('creates its Job with a deterministic name, our labels and the workflow namespace, and stays Running', async () => {
    // Prepare
    const w = worldOf([jobAction()]);

    // Act
    const replies = await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(replies, []);
    assert.match(nameOf(1), /^failover-1-restore-db-[0-9a-f]{6}-1$/);
    const job = await storedJob(w);
    assert.equal(job.metadata.labels?.team, 'dba');
    assert.equal(job.metadata.labels[OwnershipLabels.managedBy], 'drplan');
    assert.equal(job.metadata.labels[OwnershipLabels.executionUid], UID);
    assert.equal(job.metadata.labels[OwnershipLabels.attempt], '1');
    assert.equal(job.metadata.labels[OwnershipLabels.operation], 'execute');
    assert.equal(job.metadata.annotations?.[OwnershipAnnotations.actionPath], PATH);
    assert.equal(job.metadata.ownerReferences, undefined);
    assert.deepEqual(job.spec, {
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'busybox' }] } },
    });
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Running');
    assert.deepEqual(action.outputs, { jobRef: { apiVersion: 'batch/v1', kind: 'Job', name: nameOf(1), namespace: NS, uid: job.metadata.uid }, created: true });
  });

  test('creates its Job in job.namespace when it is set', async () => {
    // Prepare
    const w = worldOf([jobAction({}, 'batch-jobs')]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    await storedJob(w, 1, 'batch-jobs');
    assert.equal(w.action(PATH)?.outputs?.jobRef?.namespace, 'batch-jobs');
  });

  test('takes an existing Job of the same attempt as its own (AlreadyExists is success)', async () => {
    // Prepare: the attempt created its Job, then lost contact before recording its uid (only its intent,
    // the reference without uid, was recorded), and is requested again
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const existing = await storedJob(w);
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Unknown', requestedAt: w.clock.now().toISOString() });
      if (action.outputs?.jobRef !== undefined) delete action.outputs.jobRef.uid;
    });

    // Act
    const replies = await core.onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(replies, []);
    assert.equal(w.action(PATH)?.phase, 'Running');
    assert.equal(w.action(PATH)?.outputs?.jobRef?.uid, existing.metadata.uid);
    assert.equal(w.kube.calls.filter((c) => c.verb === 'create').length, 2);
  });

  test('fails without retry when a Job of that name exists and is not ours', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    w.kube.seed({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: nameOf(1), namespace: NS, labels: { app: 'other' } }, spec: {} });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `Job ${NS}/${nameOf(1)} already exists, not created by this action`);
  });
});

describe('a change of our Job', () => {
  test('to Complete records success and takes the next step: the plan of one action ends', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await finishJob(w, 'Complete');

    // Act
    const replies = await core.onJob(job);

    // Assess
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Succeeded');
    assert.equal(action.message, `Job ${NS}/${nameOf(1)} completed`);
    assert.equal(action.outputs?.jobRef?.name, nameOf(1));
    assert.deepEqual(
      replies.map((r) => [r.type, r.data.phase]),
      [['com.tencent.bkbcs.dr.execution.finished', 'Succeeded']],
    );
    assert.deepEqual(
      w.kube.events.map((e) => e.reason),
      ['ActionStarted', 'ActionSucceeded', 'WorkflowSucceeded', 'StageSucceeded', 'ExecutionSucceeded'],
    );
  });

  test('delivered twice records once and replies once', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await finishJob(w, 'Complete');
    await core.onJob(job);
    const before = w.status();
    const writes = w.kube.writes().length;

    // Act
    const replies = await core.onJob(job);

    // Assess
    assert.deepEqual(replies, []);
    assert.deepEqual(w.status(), before);
    assert.equal(w.kube.writes().length, writes);
  });

  test("to Failed fails the attempt with the Job's reason, and a retry due soon runs with a new Job", async () => {
    // Prepare
    const w = worldOf([jobAction({ retryPolicy: { limit: 2, interval: '2s', backoffMultiplier: '2.0' } })]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await finishJob(w, 'Failed', 1, { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });

    // Act
    const replies = await core.onJob(job);

    // Assess
    assert.deepEqual(replies, []);
    assert.deepEqual(w.sleeps, [2000]);
    await storedJob(w, 2);
    const action = w.action(PATH);
    assert.equal(action?.phase, 'Running');
    assert.equal(action.attempt, 2);
    assert.equal(action.outputs?.jobRef?.name, nameOf(2));
    assert.deepEqual(
      w.kube.events.map((e) => e.reason),
      ['ActionStarted', 'ActionRetrying', 'ActionStarted'],
    );
    assert.match(
      w.kube.events[1]?.message ?? '',
      /attempt 1 failed: Job dr\/failover-1-restore-db-[0-9a-f]{6}-1 failed: BackoffLimitExceeded: Job has reached the specified backoff limit/,
    );
  });

  test('to Failed without retries left fails the action', async () => {
    // Prepare
    const w = worldOf([jobAction({ retryPolicy: { limit: 0, interval: '2s', backoffMultiplier: '2.0' } })]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await finishJob(w, 'Failed', 1, { reason: 'DeadlineExceeded' });

    // Act
    const replies = await core.onJob(job);

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `Job ${NS}/${nameOf(1)} failed: DeadlineExceeded`);
    assert.deepEqual(
      replies.filter((r) => r.type !== EventTypes.actionFailed).map((r) => r.data.phase),
      ['Failed'],
    );
  });

  test('of an earlier attempt records nothing', async () => {
    // Prepare: attempt 1's Job failed and attempt 2 runs; attempt 1's Job then reports Complete
    const w = worldOf([jobAction({ retryPolicy: { limit: 2, interval: '1s', backoffMultiplier: '2.0' } })]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    await core.onJob(await finishJob(w, 'Failed'));
    const late = await finishJob(w, 'Complete');
    const before = w.status();

    // Act
    const replies = await core.onJob(late);

    // Assess
    assert.deepEqual(replies, []);
    assert.deepEqual(w.status(), before);
    assert.equal(w.action(PATH)?.attempt, 2);
  });

  test('while it runs shows progress at most every 30 seconds', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await storedJob(w);
    const claimedAt = w.action(PATH)?.lastUpdateTime;

    // Act
    w.clock.advance(10_000);
    await core.onJob(job);
    const afterTen = w.action(PATH)?.lastUpdateTime;
    w.clock.advance(25_000);
    const replies = await core.onJob(job);

    // Assess
    assert.equal(afterTen, claimedAt);
    assert.equal(w.action(PATH)?.lastUpdateTime, w.clock.now().toISOString());
    assert.equal(w.action(PATH)?.phase, 'Running');
    assert.deepEqual(replies, []);
  });

  test('that brings back an Unknown attempt makes it Running again', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Unknown', message: 'no progress for 2m0s; attempt 1 requested again' });
    });

    // Act
    await core.onJob(await storedJob(w));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Running');
    assert.equal(w.action(PATH)?.message, undefined);
  });

  test('deleted before it finished fails the attempt as retryable', async () => {
    // Prepare
    const w = worldOf([jobAction({ retryPolicy: { limit: 1, interval: '1m', backoffMultiplier: '2.0' } })]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await storedJob(w);
    await w.kube.remove(jobKey(1));

    // Act
    const replies = await core.onJob(job);

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Pending');
    assert.match(w.action(PATH)?.message ?? '', /^attempt 1 failed: Job dr\/failover-1-restore-db-[0-9a-f]{6}-1 was deleted before it finished/);
    // the retry is due in a minute: nothing follows until the tick requests it
    assert.deepEqual(replies, []);
  });

  test('without our labels is ignored', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const foreign: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'nightly', namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'drplan' } },
      status: { conditions: [{ type: 'Complete', status: 'True' }] },
    };

    // Act
    const replies = await createRunAction(w.deps).onJob(foreign);

    // Assess
    assert.deepEqual(replies, []);
    assert.deepEqual(w.kube.writes(), []);
  });

  test('of an execution re-created under the same name is ignored', async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const job = await finishJob(w, 'Complete');
    const relabelled = { ...job, metadata: { ...job.metadata, labels: { ...job.metadata.labels, [OwnershipLabels.executionUid]: 'another-uid' } } };
    const before = w.status();

    // Act
    const replies = await core.onJob(relabelled);

    // Assess
    assert.deepEqual(replies, []);
    assert.deepEqual(w.status(), before);
  });
});

describe('a Job that is not the one the attempt created', () => {
  /** A completed Job carrying the labels and annotations of our attempt's Job, made by someone else. */
  const forgery = (ours: KubeObject, name: string): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS, labels: ours.metadata.labels, annotations: ours.metadata.annotations },
    spec: {},
    status: { conditions: [{ type: 'Complete', status: 'True' }] },
  });

  test("a copy with the attempt's labels under another name completes nothing, while the real Job still runs", async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const copy = w.kube.seed(forgery(await storedJob(w), 'copied-job'));

    // Act
    const replies = await core.onJob(copy);

    // Assess
    assert.deepEqual(replies, []);
    assert.equal(w.action(PATH)?.phase, 'Running');
  });

  test("a forged event naming the attempt's Job but another uid completes nothing", async () => {
    // Prepare
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const ours = await storedJob(w);
    const forged = {
      ...forgery(ours, ours.metadata.name ?? ''),
      metadata: { ...forgery(ours, ours.metadata.name ?? '').metadata, uid: 'not-the-recorded-uid' },
    };

    // Act
    const replies = await core.onJob(forged);

    // Assess
    assert.deepEqual(replies, []);
    assert.equal(w.action(PATH)?.phase, 'Running');
  });

  test("a Job made in advance under the attempt's name and with its labels is not adopted: the action fails, naming it", async () => {
    // Prepare: someone who may create Jobs predicted the name and copied the labels before the attempt ran
    const first = worldOf([jobAction()]);
    await createRunAction(first.deps).onActionRequested(requested(PATH));
    const template = await storedJob(first);
    const w = worldOf([jobAction()]);
    w.kube.seed(forgery(template, template.metadata.name ?? ''));

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.match(w.action(PATH)?.message ?? '', /already exists, not created by this action/);
  });

  test('a Job whose uid differs from the one the attempt recorded is not adopted when the attempt is resumed', async () => {
    // Prepare: the attempt created and recorded its Job; the Job was replaced by another of the same name
    const w = worldOf([jobAction()]);
    const core = createRunAction(w.deps);
    await core.onActionRequested(requested(PATH));
    const ours = await storedJob(w);
    await w.kube.remove(jobKey(1));
    w.kube.seed(forgery(ours, ours.metadata.name ?? ''));
    await editAction(w, PATH, (action) => {
      Object.assign(action, { phase: 'Unknown', requestedAt: w.clock.now().toISOString() });
    });

    // Act
    await core.onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.match(w.action(PATH)?.message ?? '', /already exists, not created by this action/);
  });
});
