import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DeliveryRecord } from '../../local/eventing/event-log.js';
import { broker, send, startBroker, startSubscriber, trigger, waitFor, type Answer, type Json, type Subscriber } from './helpers.js';

const subscribers: Subscriber[] = [];
after(async () => {
  await Promise.all(subscribers.map((s) => s.close()));
});

async function subscriber(script?: (n: number) => Answer | Promise<Answer>): Promise<Subscriber> {
  const started = await startSubscriber(script);
  subscribers.push(started);
  return started;
}

const deliveries = (records: readonly { record: string }[]): DeliveryRecord[] => records.filter((r): r is DeliveryRecord => r.record === 'delivery');
const gaps = (s: Subscriber): number[] => s.received.slice(1).map((r, i) => r.at - (s.received[i]?.at ?? r.at));

describe('the broker ingress', () => {
  it('accepts binary and structured events with 202 and refuses the rest naming why', async () => {
    // Prepare
    const { url, dispose } = await startBroker([broker('events')]);
    const structured = JSON.stringify({ specversion: '1.0', id: 's1', source: '/tests', type: 'com.example.created', data: {} });

    // Act
    const binary = await send(url, { type: 'com.example.created' });
    const asStructured = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: structured });
    const malformed = await send(url, { type: '' });
    const unknown = await send(url.replace('/events', '/nope'), { type: 'com.example.created' });
    const get = await fetch(url);

    // Assess
    assert.equal(binary.status, 202);
    assert.equal(asStructured.status, 202);
    assert.deepEqual(malformed, { status: 400, text: 'header ce-type: required attribute "type" is missing or empty\n' });
    assert.deepEqual(unknown, { status: 404, text: 'no broker eventing-test/nope\n' });
    assert.equal(get.status, 405);
    await dispose();
  });

  it('delivers in binary mode without the hop counter, with the arrival time added', async () => {
    // Prepare
    const target = await subscriber();
    const { url, eventing, dispose } = await startBroker([broker('events'), trigger('all', { subscriber: { uri: target.url } })]);

    // Act
    await send(url, { type: 'com.example.created', subject: 'default/p1' }, { plan: 'p1' });
    await eventing.idle();

    // Assess
    const [received] = target.received;
    assert.equal(received?.headers['ce-type'], 'com.example.created');
    assert.equal(received.headers['ce-subject'], 'default/p1');
    assert.equal(received.headers['ce-knativebrokerttl'], undefined);
    assert.match(String(received.headers['ce-knativearrivaltime']), /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(JSON.parse(received.body.toString('utf8')), { plan: 'p1' });
    await dispose();
  });
});

describe('delivery with retries and backoff', () => {
  it('retries a failing subscriber with linear backoff: backoffDelay × n, from 0', async () => {
    // Prepare
    const target = await subscriber((n) => ({ status: n < 3 ? 503 : 202 }));
    const delivery = { retry: 5, backoffPolicy: 'linear', backoffDelay: 'PT0.1S' };
    const { url, eventing, dispose } = await startBroker([broker('events'), trigger('t', { subscriber: { uri: target.url }, delivery })]);

    // Act
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess: 3 failures then success; the waits were about 0, 100 and 200 ms
    assert.equal(target.received.length, 4);
    const [first = 0, second = 0, third = 0] = gaps(target);
    assert.ok(first < 80, `first retry after ${first} ms`);
    assert.ok(second >= 80 && second < 600, `second retry after ${second} ms`);
    assert.ok(third >= 180 && third > second, `third retry after ${third} ms`);
    assert.deepEqual(
      deliveries(eventing.eventLog.records()).map((d) => [d.outcome, d.attempts, d.status]),
      [['delivered', 4, 202]],
    );
    await dispose();
  });

  it('retries with exponential backoff: backoffDelay × 2^n', async () => {
    // Prepare
    const target = await subscriber((n) => ({ status: n < 3 ? 500 : 204 }));
    const delivery = { retry: 3, backoffPolicy: 'exponential', backoffDelay: 'PT0.08S' };
    const { url, eventing, dispose } = await startBroker([broker('events', delivery), trigger('t', { subscriber: { uri: target.url } })]);

    // Act
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess: waits of about 80, 160 and 320 ms (the trigger has no delivery spec: the broker's applies)
    assert.equal(target.received.length, 4);
    const [first = 0, second = 0, third = 0] = gaps(target);
    assert.ok(first >= 60, `first retry after ${first} ms`);
    assert.ok(second >= 130 && second > first, `second retry after ${second} ms`);
    assert.ok(third >= 260 && third > second, `third retry after ${third} ms`);
    await dispose();
  });

  const statuses: { status: number; retried: boolean }[] = [
    { status: 500, retried: true },
    { status: 503, retried: true },
    { status: 404, retried: true },
    { status: 408, retried: true },
    { status: 409, retried: true },
    { status: 429, retried: true },
    { status: 400, retried: false },
    { status: 401, retried: false },
    { status: 403, retried: false },
    { status: 422, retried: false },
    { status: 302, retried: false },
  ];
  for (const { status, retried } of statuses) {
    it(`${retried ? 'retries' : 'does not retry'} a ${status} answer, then dead-letters the event`, async () => {
      // Prepare
      const target = await subscriber(() => ({ status, body: `answer ${status}` }));
      const deadLetters = await subscriber();
      const delivery = { retry: 2, deadLetterSink: { uri: deadLetters.url } };
      const { url, eventing, dispose } = await startBroker([broker('events'), trigger('t', { subscriber: { uri: target.url }, delivery })]);

      // Act
      await send(url, { type: 'com.example.created' });
      await eventing.idle();

      // Assess
      assert.equal(target.received.length, retried ? 3 : 1);
      assert.equal(deadLetters.received.length, 1);
      assert.deepEqual(
        deliveries(eventing.eventLog.records()).map((d) => [d.outcome, d.attempts, d.status]),
        [['dead-lettered', retried ? 3 : 1, status]],
      );
      await dispose();
    });
  }

  it('sends the dead letter with the reason in Knative error extensions', async () => {
    // Prepare
    const target = await subscriber(() => ({ status: 422, body: 'spec.stages: required' }));
    const deadLetters = await subscriber();
    const { url, eventing, dispose } = await startBroker([
      broker('events', { deadLetterSink: { uri: deadLetters.url } }),
      trigger('t', { subscriber: { uri: target.url }, delivery: { retry: 1 } }),
    ]);

    // Act
    await send(url, { type: 'com.example.created', subject: 'default/p1' });
    await eventing.idle();

    // Assess: the trigger's delivery spec has no sink, so the broker's applies
    const letter = deadLetters.received[0]?.event.attributes;
    assert.equal(letter?.type, 'com.example.created');
    assert.equal(letter.subject, 'default/p1');
    assert.equal(letter.knativeerrordest, target.url);
    assert.equal(letter.knativeerrorcode, '422');
    assert.equal(Buffer.from(letter.knativeerrordata ?? '', 'base64').toString('utf8'), 'spec.stages: required');
    assert.equal(letter.knativebrokerttl, '255');
    await dispose();
  });

  it('dead-letters a network failure after the retries, with code 500 and the dispatch error', async () => {
    // Prepare
    const gone = await subscriber();
    await gone.close();
    const deadLetters = await subscriber();
    const { url, eventing, dispose } = await startBroker([
      broker('events'),
      trigger('t', { subscriber: { uri: gone.url }, delivery: { retry: 2, deadLetterSink: { uri: deadLetters.url } } }),
    ]);

    // Act
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess
    const [record] = deliveries(eventing.eventLog.records());
    assert.equal(record?.outcome, 'dead-lettered');
    assert.equal(record.attempts, 3);
    assert.equal(record.status, undefined);
    assert.equal(deadLetters.received[0]?.event.attributes.knativeerrorcode, '500');
    assert.match(Buffer.from(deadLetters.received[0].event.attributes.knativeerrordata ?? '', 'base64').toString('utf8'), /^dispatch error: /);
    await dispose();
  });

  it('logs the event as lost when there is no dead-letter sink', async () => {
    // Prepare
    const target = await subscriber(() => ({ status: 400 }));
    const { url, eventing, warnings, dispose } = await startBroker([broker('events', {}), trigger('t', { subscriber: { uri: target.url } })]);

    // Act
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess
    assert.deepEqual(
      deliveries(eventing.eventLog.records()).map((d) => d.outcome),
      ['lost'],
    );
    assert.ok(
      warnings.some((line) => line.includes('no dead-letter sink: the event is lost')),
      warnings.join('\n'),
    );
    await dispose();
  });

  it('gives up on an attempt after the delivery timeout and retries it', async () => {
    // Prepare
    const target = await subscriber(async (n) => {
      if (n === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      return { status: 202 };
    });
    const { url, eventing, dispose } = await startBroker([
      broker('events'),
      trigger('t', { subscriber: { uri: target.url }, delivery: { retry: 1, timeout: 'PT0.2S' } }),
    ]);

    // Act
    const started = Date.now();
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess
    assert.equal(target.received.length, 2);
    assert.ok(Date.now() - started < 900, 'the slow attempt was abandoned');
    assert.deepEqual(
      deliveries(eventing.eventLog.records()).map((d) => [d.outcome, d.attempts]),
      [['delivered', 2]],
    );
    await dispose();
  });
});

describe('replies and the hop limit', () => {
  const replyWith = (type: string) => (): Answer => ({
    status: 200,
    headers: { 'ce-specversion': '1.0', 'ce-id': `r-${Math.random()}`, 'ce-source': '/replier', 'ce-type': type, 'content-type': 'application/json' },
    body: '{"r":1}',
  });

  it('puts a reply back into the broker, where other triggers take it', async () => {
    // Prepare
    const replier = await subscriber(replyWith('com.example.replied'));
    const recorder = await subscriber();
    const objects: Json[] = [
      broker('events'),
      trigger('created', { filters: [{ exact: { type: 'com.example.created' } }], subscriber: { uri: replier.url } }),
      trigger('replied', { filter: { attributes: { type: 'com.example.replied' } }, subscriber: { uri: recorder.url } }),
    ];
    const { url, eventing, dispose } = await startBroker(objects);

    // Act
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess
    assert.deepEqual(
      recorder.received.map((r) => r.event.attributes.type),
      ['com.example.replied'],
    );
    const reply = recorder.received[0]?.event.attributes.id;
    assert.equal(deliveries(eventing.eventLog.records()).find((d) => d.trigger === 'eventing-test/created')?.reply, reply);
    await dispose();
  });

  it('treats a 2xx answer with a body that is not a CloudEvent as a failure (502), as Knative does', async () => {
    // Prepare
    const target = await subscriber(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"type":"com.example.replied"}' }));
    const deadLetters = await subscriber();
    const { url, eventing, dispose } = await startBroker([
      broker('events'),
      trigger('t', { subscriber: { uri: target.url }, delivery: { retry: 1, deadLetterSink: { uri: deadLetters.url } } }),
    ]);

    // Act
    await send(url, { type: 'com.example.created' });
    await eventing.idle();

    // Assess
    assert.equal(target.received.length, 2);
    assert.equal(deadLetters.received[0]?.event.attributes.knativeerrorcode, '502');
    assert.match(deliveries(eventing.eventLog.records())[0]?.error ?? '', /not recognized as CloudEvent/);
    await dispose();
  });

  it('cuts a reply loop when the hop budget the event carries runs out', async () => {
    // Prepare
    const looper = await subscriber(replyWith('com.example.loop'));
    const { url, eventing, warnings, dispose } = await startBroker([
      broker('events'),
      trigger('loop', { filters: [{ exact: { type: 'com.example.loop' } }], subscriber: { uri: looper.url } }),
    ]);

    // Act
    await send(url, { type: 'com.example.loop', knativebrokerttl: '5' });
    await eventing.idle();

    // Assess: hops with a budget of 4, 3, 2 and 1 are delivered; the reply that would have 0 is dropped
    assert.equal(looper.received.length, 4);
    const records = eventing.eventLog.records();
    assert.deepEqual(
      records.flatMap((r) => (r.record === 'accepted' ? [r.ttl] : [])),
      [4, 3, 2, 1],
    );
    assert.deepEqual(
      records.flatMap((r) => (r.record === 'dropped' ? [r.reason] : [])),
      ['hop limit reached (knativebrokerttl 0)'],
    );
    assert.ok(warnings.some((line) => line.includes('hop limit reached')));
    await dispose();
  });

  it('gives an event without a hop budget 255 hops', async () => {
    // Prepare
    const looper = await subscriber(replyWith('com.example.loop'));
    const { url, eventing, dispose } = await startBroker([
      broker('events'),
      trigger('loop', { filters: [{ exact: { type: 'com.example.loop' } }], subscriber: { uri: looper.url } }),
    ]);

    // Act
    await send(url, { type: 'com.example.loop' });
    await waitFor('the loop to be cut', () => (eventing.eventLog.records().some((r) => r.record === 'dropped') ? true : undefined), 30_000);
    await eventing.idle();

    // Assess
    assert.equal(looper.received.length, 255);
    await dispose();
  });

  it('refuses an event whose hop budget is already spent, at the ingress', async () => {
    // Prepare
    const target = await subscriber();
    const { url, eventing, dispose } = await startBroker([broker('events'), trigger('t', { subscriber: { uri: target.url } })]);

    // Act
    const answer = await send(url, { type: 'com.example.created', knativebrokerttl: '1' });
    await eventing.idle();

    // Assess
    assert.equal(answer.status, 400);
    assert.equal(target.received.length, 0);
    await dispose();
  });
});
