/** The server starts the simulated Job controller: a Job created through client-node completes. */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are declared as classes, but its API takes plain objects (its serializer reads fields, not prototypes). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatchV1Api } from '@kubernetes/client-node';
import { eventually, startTestServer, type TestServer } from './helpers.js';

describe('jobs', () => {
  let t: TestServer;
  let batch: BatchV1Api;

  before(async () => {
    t = await startTestServer({ jobController: true });
    batch = t.kubeConfig.makeApiClient(BatchV1Api);
  });
  after(async () => {
    await t.dispose();
  });

  test('a Job completes with the status a Job controller writes', async () => {
    // Prepare
    const body = {
      metadata: { name: 'restore', annotations: { 'local.drplan.dev/duration': '100ms' } },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'restore', image: 'busybox' }] } } },
    };
    // Act
    const created = await batch.createNamespacedJob({ namespace: 'default', body });
    const done = await eventually(async () => {
      const job = await batch.readNamespacedJobStatus({ name: 'restore', namespace: 'default' });
      return job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true ? job : undefined;
    }, 5000);
    // Assess
    assert.equal(created.status?.succeeded, undefined);
    assert.equal(created.spec?.backoffLimit, 6);
    assert.equal(done.status?.succeeded, 1);
    assert.equal(done.metadata?.generation, 1);
  });
});
