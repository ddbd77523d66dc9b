/** Malformed and unauthorised requests get a Kubernetes Status with the right code, and the server keeps serving. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { raw, startTestServer, type RawRequest, type TestServer } from './helpers.js';

const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

interface Case {
  name: string;
  path: string;
  request: RawRequest;
  code: number;
  reason: string;
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'malformed JSON',
    path: CONFIGMAPS,
    request: { method: 'POST', contentType: 'application/json', body: '{"metadata": {"name": ' },
    code: 400,
    reason: 'BadRequest',
    message: /^the request body is not valid JSON/,
  },
  {
    name: 'a JSON array where an object belongs',
    path: CONFIGMAPS,
    request: { method: 'POST', contentType: 'application/json', body: '[1, 2]' },
    code: 400,
    reason: 'BadRequest',
    message: /must be a JSON object/,
  },
  {
    name: 'a kind that does not match the URL',
    path: CONFIGMAPS,
    request: { method: 'POST', contentType: 'application/json', body: '{"kind":"Secret","metadata":{"name":"x"}}' },
    code: 400,
    reason: 'BadRequest',
    message: /kind in the data \("Secret"\) does not match/,
  },
  {
    name: 'an unknown resource',
    path: '/api/v1/namespaces/default/widgets',
    request: {},
    code: 404,
    reason: 'NotFound',
    message: /^the server could not find the requested resource$/,
  },
  { name: 'an unknown group', path: '/apis/nothing.example.com/v1/things', request: {}, code: 404, reason: 'NotFound' },
  { name: 'an unknown path', path: '/nothing/here', request: {}, code: 404, reason: 'NotFound' },
  {
    name: 'a wrong content type on create',
    path: CONFIGMAPS,
    request: { method: 'POST', contentType: 'text/plain', body: 'hello' },
    code: 415,
    reason: 'UnsupportedMediaType',
  },
  {
    name: 'a PATCH with plain JSON',
    path: `${CONFIGMAPS}/x`,
    request: { method: 'PATCH', contentType: 'application/json', body: '{}' },
    code: 415,
    reason: 'UnsupportedMediaType',
    message: /merge-patch\+json/,
  },
  { name: 'no token', path: CONFIGMAPS, request: { token: null }, code: 401, reason: 'Unauthorized', message: /^Unauthorized$/ },
  { name: 'a wrong token', path: CONFIGMAPS, request: { token: 'not-the-token' }, code: 401, reason: 'Unauthorized' },
  {
    name: 'POST on a named object',
    path: `${CONFIGMAPS}/x`,
    request: { method: 'POST', contentType: 'application/json', body: '{}' },
    code: 405,
    reason: 'MethodNotAllowed',
  },
  {
    name: 'PUT on a collection',
    path: CONFIGMAPS,
    request: { method: 'PUT', contentType: 'application/json', body: '{}' },
    code: 405,
    reason: 'MethodNotAllowed',
  },
  {
    name: 'an Accept header the server cannot meet',
    path: CONFIGMAPS,
    request: { accept: 'application/vnd.kubernetes.protobuf' },
    code: 406,
    reason: 'NotAcceptable',
  },
  {
    name: 'an invalid label selector',
    path: `${CONFIGMAPS}?labelSelector=${encodeURIComponent('a in b')}`,
    request: {},
    code: 400,
    reason: 'BadRequest',
    message: /unable to parse requirement/,
  },
  { name: 'an invalid watch resourceVersion', path: `${CONFIGMAPS}?watch=true&resourceVersion=abc`, request: {}, code: 400, reason: 'BadRequest' },
  { name: 'an invalid propagationPolicy', path: `${CONFIGMAPS}/x?propagationPolicy=Sometimes`, request: { method: 'DELETE' }, code: 400, reason: 'BadRequest' },
  {
    name: 'an invalid fieldValidation',
    path: `${CONFIGMAPS}?fieldValidation=Loose`,
    request: { method: 'POST', contentType: 'application/json', body: '{"metadata":{"name":"x"}}' },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'a JSON body nested 2,000 deep',
    path: CONFIGMAPS,
    request: { method: 'POST', contentType: 'application/json', body: `{"metadata":{"name":"deep"},"x":${'['.repeat(2000)}${']'.repeat(2000)}}` },
    code: 400,
    reason: 'BadRequest',
    message: /^the request body nests deeper than 200 levels$/,
  },
  {
    name: 'a merge patch nested 2,000 deep',
    path: '/api/v1/namespaces/default',
    request: { method: 'PATCH', contentType: 'application/merge-patch+json', body: `{"x":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}` },
    code: 400,
    reason: 'BadRequest',
    message: /nests deeper than 200 levels/,
  },
  {
    name: 'an apply patch nested 2,000 deep',
    path: `${CONFIGMAPS}/deep?fieldManager=t`,
    request: {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(2000)}${']'.repeat(2000)}}`,
    },
    code: 400,
    reason: 'BadRequest',
    message: /^the apply patch (nests deeper than 200 levels|is not valid YAML: Maximum call stack size exceeded)/,
  },
  {
    name: 'a body over the size limit',
    path: CONFIGMAPS,
    request: { method: 'POST', contentType: 'application/json', body: `{"data":{"a":"${'x'.repeat(3 * 1024 * 1024)}"}}` },
    code: 413,
    reason: 'RequestEntityTooLarge',
  },
];

describe('bad requests', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.dispose();
  });

  for (const c of cases) {
    test(`${c.name} is ${c.code} ${c.reason}, and the server keeps serving`, async () => {
      // Act
      const response = await raw(t.server, c.path, c.request);
      const next = await raw(t.server, '/api/v1/namespaces/default');
      // Assess
      const body = response.json ?? {};
      assert.equal(response.status, c.code);
      assert.equal(body.kind, 'Status');
      assert.equal(body.status, 'Failure');
      assert.equal(body.reason, c.reason);
      assert.equal(body.code, c.code);
      if (c.message !== undefined) assert.match(String(body.message), c.message);
      assert.equal(next.status, 200);
    });
  }

  test('health and version need no token', async () => {
    const [healthz, readyz, version] = await Promise.all(['/healthz', '/readyz', '/version'].map((path) => raw(t.server, path, { token: null })));
    assert.deepEqual([healthz?.text, readyz?.text], ['ok', 'ok']);
    assert.match(String(version?.json?.gitVersion), /^v1\.\d+\.\d+/);
  });

  test('a NotFound for an object names the resource and the object', async () => {
    const body = (await raw(t.server, `${CONFIGMAPS}/missing`)).json ?? {};
    assert.equal(body.message, 'configmaps "missing" not found');
    assert.deepEqual(body.details, { name: 'missing', group: '', kind: 'configmaps' });
  });
});

describe('silent and slow connections', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ timeouts: { headersMs: 300 } });
  });
  after(async () => {
    await t.dispose();
  });

  /** Opens a TCP connection, sends `bytes` (if any), and resolves when the server closes it. */
  function closedByServer(bytes?: string): Promise<void> {
    const { port } = new URL(t.server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        if (bytes !== undefined) socket.write(bytes);
      });
      socket.on('error', reject);
      socket.on('close', () => {
        resolve();
      });
      socket.resume();
    });
  }

  test('a connection that never sends a byte is closed', async () => {
    await closedByServer();
  });

  test('a request whose headers never end is closed', async () => {
    await closedByServer('GET /api HTTP/1.1\r\nHost: x\r\n');
  });

  test('a watch over TLS (as kubectl makes it) outlives the headers timeout and still gets its events', async () => {
    const { port } = new URL(t.server.url);
    const events: string[] = [];
    const state = { answered: false };
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/namespaces/default/configmaps?watch=true',
        headers: { Authorization: `Bearer ${t.server.token}` },
        ca: t.server.caCertificate,
      },
      (response) => {
        state.answered = true;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => events.push(chunk));
      },
    );
    request.end();
    try {
      while (!state.answered) await new Promise((resolve) => setTimeout(resolve, 20));
      // the watch is open; the guard would have closed its connection after 300 ms, had the request not counted
      const opened = Date.now();
      while (Date.now() - opened < 900) await new Promise((resolve) => setTimeout(resolve, 50));
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' }, data: {} });
      assert.equal((await raw(t.server, '/api/v1/namespaces/default/configmaps', { method: 'POST', body, contentType: 'application/json' })).status, 201);
      while (!events.join('').includes('"late"')) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      request.destroy();
    }
  });

  test('a request whose headers arrive in time is answered, on a connection kept for the next one', async () => {
    const first = await raw(t.server, '/version');
    const second = await raw(t.server, '/version');
    assert.deepEqual([first.status, second.status], [200, 200]);
  });
});
