import { strict as assert } from 'node:assert';
import { after, describe, test } from 'node:test';
import { createRunAction } from '../../../../functions/run-action/run-action.js';
import { isBlockedAddress, refuseTarget } from '../../../../functions/run-action/ssrf.js';
import type { Target } from '../../../support/run-action-helpers.js';
import { answer, httpAction, pathOf, recordingFetch, requested, startTarget, worldOf } from '../../../support/run-action-helpers.js';

const PATH = pathOf('call');
const WHY = 'link-local and cloud metadata addresses are refused (set ALLOW_PRIVATE_TARGETS=true to allow them)';

/** A resolver answering from a table, recording the names asked. */
function resolver(table: Record<string, string[]>): { resolve: (host: string) => Promise<string[]>; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolve: (host) => {
      asked.push(host);
      const found = table[host];
      return found === undefined ? Promise.reject(new Error(`ENOTFOUND ${host}`)) : Promise.resolve(found);
    },
  };
}

describe('the HTTP target check', () => {
  const cases = [
    { url: 'http://169.254.169.254/latest/meta-data/', refusal: `address 169.254.169.254 is not allowed; ${WHY}` },
    { url: 'http://2852039166/', refusal: `address 169.254.169.254 is not allowed; ${WHY}` },
    { url: 'http://[fe80::1]/', refusal: `address fe80::1 is not allowed; ${WHY}` },
    { url: 'http://[::ffff:169.254.169.254]/', refusal: `address ::ffff:a9fe:a9fe is not allowed; ${WHY}` },
    { url: 'http://metadata.google.internal/computeMetadata/v1/', refusal: `host metadata.google.internal is a cloud metadata service; ${WHY}` },
    { url: 'http://METADATA.google.internal./', refusal: `host metadata.google.internal is a cloud metadata service; ${WHY}` },
    { url: 'http://metadata.tencentyun.com/', refusal: `host metadata.tencentyun.com is a cloud metadata service; ${WHY}` },
    { url: 'http://100.100.100.200/', refusal: `address 100.100.100.200 is not allowed; ${WHY}` },
    { url: 'http://rebind.example/', refusal: `host rebind.example resolves to 169.254.10.1; ${WHY}` },
    { url: 'http://127.0.0.1:8080/', refusal: undefined },
    { url: 'http://10.0.0.7/', refusal: undefined },
    { url: 'http://192.168.1.20/', refusal: undefined },
    { url: 'https://app.example/', refusal: undefined },
    { url: 'http://unknown.example/', refusal: 'host unknown.example could not be resolved (ENOTFOUND unknown.example); it is not sent to unchecked' },
    { url: 'http://[64:ff9b::a9fe:a9fe]/', refusal: `address 64:ff9b::a9fe:a9fe is not allowed; ${WHY}` },
    { url: 'http://168.63.129.16/machine', refusal: `address 168.63.129.16 is not allowed; ${WHY}` },
    { url: 'http://192.0.0.192/opc/v2/instance/', refusal: `address 192.0.0.192 is not allowed; ${WHY}` },
    { url: 'http://nat64.example/', refusal: `host nat64.example resolves to 64:ff9b::a9fe:a9fe; ${WHY}` },
    { url: 'http://[64:ff9b::808:808]/', refusal: undefined },
  ];
  for (const c of cases) {
    test(`${c.refusal === undefined ? 'allows' : 'refuses'} ${c.url}`, async () => {
      // Prepare
      const { resolve } = resolver({ 'rebind.example': ['10.0.0.1', '169.254.10.1'], 'app.example': ['203.0.113.9'], 'nat64.example': ['64:ff9b::a9fe:a9fe'] });

      // Act
      const refusal = await refuseTarget(new URL(c.url), { allowPrivateTargets: false, resolve });

      // Assess
      assert.equal(refusal?.reason, c.refusal);
    });
  }

  test('allows everything http(s) when private targets are allowed, without resolving', async () => {
    // Prepare
    const { resolve, asked } = resolver({});

    // Act
    const refusals = await Promise.all(
      ['http://169.254.169.254/', 'http://metadata.google.internal/'].map((url) => refuseTarget(new URL(url), { allowPrivateTargets: true, resolve })),
    );

    // Assess
    assert.deepEqual(refusals, [undefined, undefined]);
    assert.deepEqual(asked, []);
  });

  test('checks IPv4-mapped IPv6 addresses like the IPv4 ones', () => {
    assert.deepEqual(['::ffff:169.254.0.1', '169.254.255.255', 'fe80::abcd', '127.0.0.1', '::1', '10.1.2.3'].map(isBlockedAddress), [
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('an HTTP action to a refused target', () => {
  const refused: Array<{ name: string; url: string; table: Record<string, string[]> }> = [
    { name: 'the metadata address 169.254.169.254', url: 'http://169.254.169.254/latest/meta-data/iam/', table: {} },
    { name: 'metadata.google.internal', url: 'http://metadata.google.internal/computeMetadata/v1/', table: {} },
    { name: 'a name resolving to a link-local address', url: 'http://internal.example/x', table: { 'internal.example': ['169.254.1.1'] } },
  ];
  for (const c of refused) {
    test(`(${c.name}) fails without retry and sends nothing`, async () => {
      // Prepare
      const { fetch, calls } = recordingFetch();
      const { resolve } = resolver(c.table);
      const w = worldOf([httpAction('call', { url: c.url })], { fetch, resolve });

      // Act
      await createRunAction(w.deps).onActionRequested(requested(PATH));

      // Assess
      const action = w.action(PATH);
      assert.equal(action?.phase, 'Failed');
      assert.match(action.message ?? '', /^http\.url: http:\/\/[^ ]+: .*link-local and cloud metadata addresses are refused/);
      assert.deepEqual(calls, []);
      assert.deepEqual(w.sleeps, []);
    });
  }

  test('is sent when the configuration allows private targets', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([httpAction('call', { url: 'http://169.254.169.254/latest/meta-data/' })], { fetch, config: { allowPrivateTargets: true } });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(calls, ['http://169.254.169.254/latest/meta-data/']);
    assert.equal(w.action(PATH)?.phase, 'Succeeded');
  });
});

describe('a redirect to a refused target', () => {
  let server: Target | undefined;
  after(async () => {
    await server?.close();
  });

  test('is not followed and fails the action', async () => {
    // Prepare
    server = await startTarget((_request, response) => {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      response.end();
    });
    const w = worldOf([httpAction('call', { url: `${server.url}/go` })]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(server.requests.length, 1);
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.equal(w.action(PATH)?.message, `http.url: http://169.254.169.254/latest/meta-data/: address 169.254.169.254 is not allowed; ${WHY}`);
  });
});

describe('a host that cannot be resolved', () => {
  test('is not sent to, and the attempt may be retried (DNS may only be late)', async () => {
    // Prepare
    const { fetch, calls } = recordingFetch();
    const w = worldOf([httpAction('call', { url: 'http://not-yet.example/ready' })], {
      fetch,
      resolve: () => Promise.reject(new Error('ENOTFOUND not-yet.example')),
    });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.deepEqual(calls, []);
    assert.ok(w.sleeps.length > 0, 'the attempt was retried');
    assert.match(
      w.action(PATH)?.message ?? '',
      /http\.url: http:\/\/not-yet\.example\/ready: host not-yet\.example could not be resolved \(ENOTFOUND not-yet\.example\); it is not sent to unchecked/,
    );
  });
});

describe('the connection goes to the address that was checked', () => {
  let server: Target | undefined;
  after(async () => {
    await server?.close();
  });

  test('a name is requested at the address the check resolved, with the name in the Host header (a later DNS answer cannot move it)', async () => {
    // Prepare: "pinned.invalid" resolves nowhere but through the check's resolver
    server = await startTarget(answer(200));
    const port = new URL(server.url).port;
    const names = resolver({ 'pinned.invalid': ['127.0.0.1'] });
    const w = worldOf([httpAction('call', { url: `http://pinned.invalid:${port}/health` })], { resolve: names.resolve });

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(w.action(PATH)?.phase, 'Succeeded', w.action(PATH)?.message);
    assert.deepEqual(names.asked, ['pinned.invalid']);
    assert.equal(server.requests[0]?.headers.host, `pinned.invalid:${port}`);
  });
});

describe('a redirect to another origin', () => {
  let first: Target | undefined;
  let second: Target | undefined;
  after(async () => {
    await first?.close();
    await second?.close();
  });

  test("is not followed: the action's secret headers and body never reach the other origin", async () => {
    // Prepare
    second = await startTarget((_request, response) => {
      response.writeHead(200);
      response.end();
    });
    const elsewhere = second.url.replace('127.0.0.1', 'localhost');
    first = await startTarget((_request, response) => {
      response.writeHead(307, { location: `${elsewhere}/collect` });
      response.end();
    });
    const w = worldOf([
      httpAction('call', {
        url: `${first.url}/promote`,
        method: 'POST',
        body: '{"secret":"s3cr3t"}',
        headers: { 'X-Api-Key': 'key-1', 'X-Vault-Token': 'vault-1' },
      }),
    ]);

    // Act
    await createRunAction(w.deps).onActionRequested(requested(PATH));

    // Assess
    assert.equal(second.requests.length, 0);
    assert.equal(w.action(PATH)?.phase, 'Failed');
    assert.match(w.action(PATH)?.message ?? '', /redirected \(307\) to another origin, http:\/\/localhost:\d+\/collect; not followed/);
  });
});
