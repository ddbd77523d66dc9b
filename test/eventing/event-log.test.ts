import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, fsync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventLog, type AcceptedRecord } from '../../local/eventing/event-log.js';
import { ReplayRangeError } from '../../local/eventing/log-queries.js';
import { broker, send, startBroker, startSubscriber, tempDir, trigger, type Subscriber } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function recorder(script?: () => { status: number } | Promise<{ status: number }>): Promise<Subscriber> {
  const started = await startSubscriber(script);
  cleanups.push(() => started.close());
  return started;
}

function stateDir(): string {
  const dir = tempDir('event-log');
  cleanups.push(() => {
    dir.remove();
  });
  return dir.path;
}

const accepted = (log: EventLog): AcceptedRecord[] => log.records().filter((r): r is AcceptedRecord => r.record === 'accepted');

describe('the durable event log', () => {
  it('keeps every accepted event and delivery outcome across a restart', async () => {
    // Prepare
    const dir = stateDir();
    const target = await recorder();
    const objects = [broker('events'), trigger('t', { subscriber: { uri: target.url } })];
    const first = await startBroker(objects, {}, dir);
    await send(first.url, { type: 'com.example.created' });
    await first.eventing.idle();
    await first.dispose();

    // Act
    const second = await startBroker(objects, {}, dir);
    await send(second.url, { type: 'com.example.updated' });
    await second.eventing.idle();

    // Assess
    const records = second.eventing.eventLog.records();
    assert.deepEqual(
      records.map((r) => [r.seq, r.record]),
      [
        [1, 'accepted'],
        [2, 'delivery'],
        [3, 'accepted'],
        [4, 'delivery'],
      ],
    );
    assert.deepEqual(
      accepted(second.eventing.eventLog).map((r) => r.event.type),
      ['com.example.created', 'com.example.updated'],
    );
    await second.dispose();
  });

  it('skips a line torn by a crash and goes on writing after it', () => {
    // Prepare
    const path = join(stateDir(), 'events.jsonl');
    const log = EventLog.open(path);
    log.append({ record: 'dropped', broker: 'ns/b', eventId: 'e1', type: 't', reason: 'test' });
    log.close();
    appendFileSync(path, '{"seq":2,"at":"2026-');
    const warnings: string[] = [];

    // Act
    const reopened = EventLog.open(path, { warn: (line) => warnings.push(line) });
    const next = reopened.append({ record: 'dropped', broker: 'ns/b', eventId: 'e2', type: 't', reason: 'test' });
    reopened.close();

    // Assess
    assert.equal(next.seq, 2);
    assert.deepEqual(warnings, [`event log ${path}: 1 unreadable line(s) skipped (a write cut short by a crash)`]);
    assert.equal(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"seq":2,"at":"20') && line.endsWith('}')).length,
      1,
    );
  });

  it('resumes after a restart the deliveries that were under way when the broker stopped', async () => {
    // Prepare: the subscriber never answers, then the broker stops with the delivery under way
    const dir = stateDir();
    const hanging = await recorder(() => new Promise(() => undefined));
    const first = await startBroker([broker('events'), trigger('t', { subscriber: { uri: hanging.url } })], {}, dir);
    await send(first.url, { type: 'com.example.created' });
    while (hanging.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.dispose();
    const healthy = await recorder();

    // Act
    const second = await startBroker([broker('events'), trigger('t', { subscriber: { uri: healthy.url } })], {}, dir);
    await second.eventing.idle();

    // Assess
    assert.deepEqual(
      healthy.received.map((r) => r.event.attributes.type),
      ['com.example.created'],
    );
    assert.equal(accepted(second.eventing.eventLog).length, 1);
    assert.ok(second.warnings.includes('eventing: resumed 1 deliveries left unfinished by the previous run'));
    await second.dispose();
  });
});

describe('replaying the event log', () => {
  async function threeEvents(): Promise<{ target: Subscriber; env: Awaited<ReturnType<typeof startBroker>>; ids: string[]; times: string[] }> {
    const target = await recorder();
    const env = await startBroker([broker('events'), trigger('t', { subscriber: { uri: target.url } })]);
    cleanups.push(() => env.dispose());
    for (const type of ['com.example.a', 'com.example.b', 'com.example.c']) {
      await send(env.url, { type });
      await env.eventing.idle();
      // the next event is accepted at a later millisecond, so each has a time of its own
      const last = Date.parse(accepted(env.eventing.eventLog).at(-1)?.at ?? '');
      while (Date.now() <= last) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const records = accepted(env.eventing.eventLog);
    return { target, env, ids: records.map((r) => String(r.event.id)), times: records.map((r) => r.at) };
  }

  it('re-delivers exactly the events of an id range, in log order', async () => {
    // Prepare
    const { target, env, ids } = await threeEvents();
    target.received.length = 0;

    // Act
    const replayed = env.eventing.replay({ fromId: ids[1], toId: ids[2] });
    await env.eventing.idle();

    // Assess
    assert.deepEqual(
      target.received.map((r) => r.event.attributes.type),
      ['com.example.b', 'com.example.c'],
    );
    assert.deepEqual(
      target.received.map((r) => r.event.attributes.id),
      [ids[1], ids[2]],
    );
    assert.deepEqual(
      replayed.map((r) => r.replayOf),
      [2, 3].map((n) => accepted(env.eventing.eventLog)[n - 1]?.seq),
    );
  });

  it('re-delivers exactly the events of a time range', async () => {
    // Prepare
    const { target, env, times } = await threeEvents();
    target.received.length = 0;

    // Act
    env.eventing.replay({ since: times[0], until: times[1] });
    await env.eventing.idle();

    // Assess
    assert.deepEqual(
      target.received.map((r) => r.event.attributes.type),
      ['com.example.a', 'com.example.b'],
    );
  });

  it('never replays earlier replays', async () => {
    // Prepare
    const { target, env, ids } = await threeEvents();
    env.eventing.replay({ fromId: ids[0], toId: ids[0] });
    await env.eventing.idle();
    target.received.length = 0;

    // Act
    env.eventing.replay({ since: new Date(0) });
    await env.eventing.idle();

    // Assess
    assert.deepEqual(
      target.received.map((r) => r.event.attributes.type),
      ['com.example.a', 'com.example.b', 'com.example.c'],
    );
  });

  const refusals: { name: string; range: Record<string, string>; message: string }[] = [
    { name: 'an empty range', range: {}, message: 'a replay needs since, until, fromId or toId' },
    { name: 'an unknown fromId', range: { fromId: 'nope' }, message: 'fromId: no event with id "nope" in the event log' },
    { name: 'a date that is not one', range: { since: 'last tuesday' }, message: 'since: "last tuesday" is not a date' },
  ];
  for (const { name, range, message } of refusals) {
    it(`refuses ${name}`, async () => {
      // Prepare
      const { env } = await threeEvents();

      // Act
      const attempt = (): unknown => env.eventing.replay(range);

      // Assess
      assert.throws(attempt, (error: unknown) => error instanceof ReplayRangeError && error.message === message);
    });
  }
});

describe("the event log's group commit", () => {
  const record = (n: number) => ({ record: 'dropped' as const, broker: 'ns/b', eventId: `e${n}`, type: 'com.example.created', reason: 'test' });

  it('makes records written together durable with one fsync, run off the event loop; durable() waits for it', async () => {
    // Prepare
    const syncs: number[] = [];
    const log = EventLog.open(join(stateDir(), 'events.jsonl'), {
      sync: (fd, done) => {
        syncs.push(fd);
        fsync(fd, done);
      },
    });
    cleanups.push(() => {
      log.close();
    });

    // Act
    for (let n = 0; n < 50; n += 1) log.append(record(n));
    await log.durable();

    // Assess: the first append starts an fsync; the other 49 share the next one
    assert.ok(syncs.length <= 2, `${syncs.length} fsyncs for 50 records`);
    assert.equal(log.records().length, 50);
  });

  it('answers durable() at once when nothing is waiting for the disk', async () => {
    const log = EventLog.open(join(stateDir(), 'events.jsonl'), { sync: () => assert.fail('no fsync is needed') });
    cleanups.push(() => {
      log.close();
    });

    await log.durable();
  });

  it('does not answer durable() before the fsync that covers the records has ended', async () => {
    // Prepare: an fsync that ends only when the test says so
    let finish: (() => void) | undefined;
    const log = EventLog.open(join(stateDir(), 'events.jsonl'), {
      sync: (fd, done) => {
        finish = () => {
          fsync(fd, done);
        };
      },
    });
    log.append(record(1));
    let answered = false;
    const waiting = log.durable().then(() => {
      answered = true;
    });

    // Act
    await new Promise((resolve) => setImmediate(resolve));
    const before = answered;
    finish?.();
    await waiting;

    // Assess
    assert.equal(before, false);
    assert.equal(answered, true);
    log.close();
  });

  it('syncs what is still pending when it closes, and a reopened log has every record', () => {
    // Prepare
    const path = join(stateDir(), 'events.jsonl');
    const log = EventLog.open(path, { sync: () => undefined });
    log.append(record(1));
    log.append(record(2));

    // Act
    log.close();

    // Assess
    const reopened = EventLog.open(path);
    assert.deepEqual(
      reopened.records().map((r) => r.seq),
      [1, 2],
    );
    reopened.close();
  });
});

describe('the event log file', () => {
  it('is readable by its owner alone (0600), also when an older version left it readable to everyone', () => {
    // Prepare: every event's data is in it, an execution's whole status included
    const path = join(stateDir(), 'events.jsonl');
    appendFileSync(path, '');
    chmodSync(path, 0o644);

    // Act
    const log = EventLog.open(path);
    log.close();

    // Assess
    assert.equal((statSync(path).mode & 0o777).toString(8), '600');
  });
});
