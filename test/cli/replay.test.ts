import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from './helpers.js';

/** A stand-in for the running eventing's replay endpoint: records requests, answers as told. */
interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

let server: Server;
let url = '';
let received: Received[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{"replayed":[]}' };
const stateDir = mkdtempSync(join(tmpdir(), 'drplan-replay-'));

before(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        contentType: request.headers['content-type'],
        body: JSON.parse(text || '{}') as Record<string, unknown>,
      });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(join(stateDir, 'eventing'), { recursive: true });
  writeFileSync(join(stateDir, 'eventing', 'ingress-url'), `${url}\n`);
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  received = [];
  answer = { status: 200, body: '{"replayed":[]}' };
});

describe('drplan replay', () => {
  test('--since asks the eventing of the state folder to replay from that long ago, and lists what it replayed', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        replayed: [
          { seq: 41, id: 'a1', type: 'dev.knative.apiserver.resource.add', subject: '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/shop/drplanexecutions/x' },
          { seq: 42, id: 'a2', type: 'com.tencent.bkbcs.dr.action.requested' },
        ],
      }),
    };
    const before = Date.now();

    const run = await runCli(['replay', '--since', '10m', '--state-dir', stateDir]);

    assert.equal(run.code, 0, run.stderr);
    assert.equal(received.length, 1);
    const [request] = received;
    assert.deepEqual([request?.method, request?.path, request?.contentType], ['POST', '/_replay', 'application/json']);
    const since = Date.parse(String(request?.body.since));
    assert.ok(Math.abs(since - (before - 600_000)) < 5000, `since ${String(request?.body.since)} is ten minutes ago`);
    assert.deepEqual(Object.keys(request?.body ?? {}), ['since']);
    assert.deepEqual(
      run.stdout.split('\n').map((line) => line.split(/ {3,}/)),
      [
        ['replayed 2 events:'],
        ['SEQ', 'ID', 'TYPE', 'SUBJECT'],
        ['41', 'a1', 'dev.knative.apiserver.resource.add', '/apis/dr.bkbcs.tencent.com/v1alpha1/namespaces/shop/drplanexecutions/x'],
        ['42', 'a2', 'com.tencent.bkbcs.dr.action.requested'],
        [''],
      ],
    );
  });

  test('--from-id and --to-id ask for an id range at the --url given', async () => {
    const run = await runCli(['replay', '--from-id', 'a1', '--to-id', 'a9', '--url', `${url}/drplan-system/drplan`]);

    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      received.map((request) => [request.path, request.body]),
      [['/_replay', { fromId: 'a1', toId: 'a9' }]],
    );
    assert.equal(run.stdout, 'no events in that range; nothing replayed\n');
  });

  test('the reason the eventing refuses a replay is shown', async () => {
    answer = { status: 400, body: 'fromId: no event with id "zz" in the event log' };

    const run = await runCli(['replay', '--from-id', 'zz', '--url', url]);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'drplan replay: the eventing refused the replay (400): fromId: no event with id "zz" in the event log\n');
  });

  test('an eventing without the endpoint is named', async () => {
    answer = { status: 404, body: 'expected POST /<namespace>/<broker>' };

    const run = await runCli(['replay', '--since', '1m', '--url', url]);

    assert.equal(run.code, 1);
    assert.equal(run.stderr, `drplan replay: the eventing at ${url} has no replay endpoint (POST /_replay); is it drplan dev?\n`);
  });

  test('a state folder without a running eventing is named, with what to do', async () => {
    const empty = join(stateDir, 'nothing-here');

    const run = await runCli(['replay', '--since', '1m', '--state-dir', empty]);

    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `drplan replay: cannot tell where the local eventing listens: ${join(empty, 'eventing', 'ingress-url')} cannot be read (is drplan dev running with this --state-dir?); pass --url <the broker URL drplan dev printed>\n`,
    );
  });

  const usageCases: Array<[string, string[], string]> = [
    ['neither --since nor --from-id', [], 'give --since DURATION or --from-id ID (one of them)'],
    ['both --since and --from-id', ['--since', '1m', '--from-id', 'a'], 'give --since DURATION or --from-id ID (one of them)'],
    ['--to-id without --from-id', ['--since', '1m', '--to-id', 'a'], '--to-id needs --from-id'],
    ['a duration Go cannot parse', ['--since', 'ten minutes'], '--since must be a duration such as 90s, 10m or 1h30m, not "ten minutes"'],
  ];
  for (const [what, args, message] of usageCases) {
    test(`${what} is a usage error`, async () => {
      const run = await runCli(['replay', ...args, '--url', url]);

      assert.equal(run.code, 2);
      assert.equal(run.stderr, `drplan replay: ${message}\n`);
      assert.equal(received.length, 0);
    });
  }
});
