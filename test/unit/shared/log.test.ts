import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, logLevelFrom } from '../../../shared/runtime/log.js';

/** A pino destination that keeps each line, parsed. */
function capture(): { lines: Array<Record<string, unknown>>; destination: { write(line: string): void } } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

describe('the function logger', () => {
  test('logs at info by default: debug lines are dropped, info lines kept', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger('validate-plan', { env: {}, destination });
    // Act
    log.debug({ detail: 1 }, 'a detail');
    log.info({ plan: 'p' }, 'plan validated');
    // Assess
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.function, l.plan]),
      [['info', 'plan validated', 'validate-plan', 'p']],
    );
  });

  test('LOG_LEVEL chooses the level', () => {
    const { lines, destination } = capture();
    const log = createLogger('run-action', { env: { LOG_LEVEL: 'debug' }, destination });
    log.debug({}, 'a detail');
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['a detail'],
    );
  });

  test('an unknown LOG_LEVEL falls back to info and says which value it ignored', () => {
    // Prepare
    const { lines, destination } = capture();
    // Act
    const log = createLogger('cancel', { env: { LOG_LEVEL: 'chatty' }, destination });
    log.debug({}, 'hidden');
    // Assess
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.LOG_LEVEL]),
      [['warn', 'unknown log level, using the default', 'chatty']],
    );
  });

  const secrets: Array<[string, Record<string, unknown>, (line: Record<string, unknown>) => unknown]> = [
    ['headers at the top', { headers: { Authorization: 'Bearer s3cret' } }, (l) => l.headers],
    ['headers one level down', { request: { headers: { 'X-Api-Key': 's3cret' } } }, (l) => (l.request as Record<string, unknown>).headers],
    [
      'headers two levels down',
      { action: { http: { headers: { Cookie: 's3cret' } } } },
      (l) => ((l.action as Record<string, unknown>).http as Record<string, unknown>).headers,
    ],
    ['an authorization field', { authorization: 'Basic s3cret' }, (l) => l.authorization],
    ['a token field one level down', { auth: { token: 's3cret' } }, (l) => (l.auth as Record<string, unknown>).token],
  ];
  for (const [name, object, pick] of secrets) {
    test(`redacts ${name}`, () => {
      // Prepare
      const { lines, destination } = capture();
      const log = createLogger('run-action', { env: {}, destination });
      // Act
      log.info(object, 'request sent');
      // Assess
      const [line] = lines;
      assert.ok(line);
      assert.equal(pick(line), '[redacted]');
      assert.doesNotMatch(JSON.stringify(line), /s3cret/);
    });
  }

  test('a child carries its bindings on every line', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger('plan-stages', { env: {}, destination });
    // Act
    log.child({ execution: 'e1', stage: 's1' }).child({ action: 'a1', attempt: 2 }).warn({}, 'action retrying');
    // Assess
    assert.deepEqual(
      lines.map((l) => ({ execution: l.execution, stage: l.stage, action: l.action, attempt: l.attempt, msg: l.msg })),
      [{ execution: 'e1', stage: 's1', action: 'a1', attempt: 2, msg: 'action retrying' }],
    );
  });

  test('an error logged as err keeps its message, its cause and its stack', () => {
    const { lines, destination } = capture();
    const log = createLogger('revert', { env: {}, destination });
    log.error({ err: new Error('boom', { cause: new Error('root') }) }, 'handler failed');
    const err = lines[0]?.err as { message?: string; stack?: string };
    assert.equal(err.message, 'boom: root');
    assert.match(err.stack ?? '', /Error: boom/);
  });
});

describe('logLevelFrom', () => {
  const cases: Array<[string | undefined, string, string | undefined]> = [
    [undefined, 'info', undefined],
    ['', 'info', undefined],
    ['WARN', 'warn', undefined],
    [' error ', 'error', undefined],
    ['silent', 'silent', undefined],
    ['verbose', 'info', 'verbose'],
  ];
  for (const [value, level, invalid] of cases) {
    test(`LOG_LEVEL=${JSON.stringify(value)} gives ${level}`, () => {
      assert.deepEqual(logLevelFrom(value === undefined ? {} : { LOG_LEVEL: value }), invalid === undefined ? { level } : { level, invalid });
    });
  }
});
