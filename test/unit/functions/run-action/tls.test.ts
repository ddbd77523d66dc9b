import { strict as assert } from 'node:assert';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { createCertificate } from '../../../../local/apiserver/certificate.js';
import { httpAction, pathOf, requested, UID, worldOf } from '../../../support/run-action-helpers.js';

const PATH = pathOf('call');

/** A throw-away self-signed certificate for 127.0.0.1 and localhost, made with Node's crypto alone. */
const pair = createCertificate();

describe('an HTTPS action to a server with a self-signed certificate', () => {
  let server: Server | undefined;
  let url = '';
  const keys: Array<string | string[] | undefined> = [];

  before(async () => {
    server = createServer({ key: pair.key, cert: pair.cert }, (request, response) => {
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
      else
        server.close(() => {
          resolve();
        });
    });
  });

  test('fails without retry, naming the certificate problem and insecureSkipVerify', async () => {
    // Prepare
    const w = worldOf([httpAction('call', { url })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(
      w.action(PATH)?.message,
      `GET ${url}: TLS certificate not accepted (DEPTH_ZERO_SELF_SIGNED_CERT); fix the certificate or set http.insecureSkipVerify`,
    );
  });

  test('succeeds with insecureSkipVerify, sending the Idempotency-Key and recording the body', async () => {
    // Prepare
    keys.length = 0;
    const w = worldOf([httpAction('call', { url, insecureSkipVerify: true, recordResponseBody: true })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
    assert.deepEqual(w.action(PATH)?.outputs?.httpResponse, { statusCode: 200, body: 'secure' });
    assert.deepEqual(keys, [`${UID}/${PATH}/1`]);
  });
});
