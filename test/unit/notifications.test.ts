/** The example Slack adapter (examples/notifications/slack-adapter.mjs): drplan's notifications become webhook messages. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { EventTypes } from '../../shared/events.js';

type Adapter = { createSlackAdapter: (options: { webhookUrl: string }) => Server };
const ADAPTER = '../../examples/notifications/slack-adapter.mjs';
const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function listening(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the Slack adapter of the notifications', () => {
  test('posts one message per notification, naming the run, the action and why; ignores other events', async () => {
    // Prepare: a webhook that records what it is sent, and the adapter in front of it
    const received: string[] = [];
    const webhook = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string }).text);
        response.writeHead(200).end('ok');
      });
    });
    const { createSlackAdapter } = (await import(ADAPTER)) as Adapter;
    const adapter = await listening(createSlackAdapter({ webhookUrl: `${await listening(webhook)}/hook` }));
    const execution = { name: 'run-1', namespace: 'shop', uid: 'u' };
    const send = (type: string, data: unknown) =>
      fetch(adapter, {
        method: 'POST',
        headers: { 'ce-type': type, 'ce-id': '1', 'ce-source': '/drplan-functions', 'ce-specversion': '1.0', 'content-type': 'application/json' },
        body: JSON.stringify(data),
      });

    // Act
    const failed = await send(EventTypes.actionFailed, {
      execution,
      plan: 'shop-failover',
      operationType: 'Execute',
      path: 'promote-database/0/promote-replica',
      message: 'Job failed: DeadlineExceeded',
    });
    const paused = await send(EventTypes.executionPaused, {
      execution,
      plan: 'shop-failover',
      operationType: 'Execute',
      message: 'paused: no new action starts',
    });
    const other = await send(EventTypes.actionRequested, { execution, operationType: 'Execute', path: 'x/0/y', attempt: 1 });

    // Assess
    assert.deepEqual([failed.status, paused.status, other.status], [202, 202, 202]);
    assert.deepEqual(received, [
      ':x: Execute shop/run-1 of plan shop-failover: action promote-database/0/promote-replica failed — Job failed: DeadlineExceeded',
      ':pause_button: Execute shop/run-1 of plan shop-failover paused — paused: no new action starts',
    ]);
  });
});
