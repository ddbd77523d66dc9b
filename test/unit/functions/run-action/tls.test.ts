import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { httpAction, pathOf, requested, UID, worldOf } from '../../../support/run-action-helpers.js';

const PATH = pathOf('call');

/** A throw-away self-signed certificate for 127.0.0.1, made with openssl (the suite is skipped without it). */
function selfSigned(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'run-action-tls-'));
  try {
    const made = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    if (made.status !== 0) return undefined;
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pair = selfSigned();

describe('an HTTPS action to a server with a self-signed certificate', { skip: pair === undefined ? 'openssl is not available' : false }, () => {
  let server: Server | undefined;
  let url = '';
  const keys: Array<string | string[] | undefined> = [];

  before(async () => {
    server = createServer({ key: pair?.key, cert: pair?.cert }, (request, response) => {
      keys.push(request.headers['idempotency-key']);
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('secure');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => {
      if (server === undefined) resolve();
      else server.close(() => { resolve(); });
    });
  });

  test('fails without retry, naming the certificate problem and insecureSkipVerify', async () => {
    // Prepare
    const w = worldOf([httpAction('call', { url })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `GET ${url}: TLS certificate not accepted (DEPTH_ZERO_SELF_SIGNED_CERT); fix the certificate or set http.insecureSkipVerify`);
  });

  test('succeeds with insecureSkipVerify, sending the Idempotency-Key and recording the body', async () => {
    // Prepare
    keys.length = 0;
    const w = worldOf([httpAction('call', { url, insecureSkipVerify: true })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.deepEqual(w.action(PATH)?.outputs?.httpResponse, { statusCode: 200, body: 'secure' });
    assert.deepEqual(keys, [`${UID}/${PATH}/1`]);
  });
});
