import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CronError, cronMatches, parseCron } from '../../local/eventing/cron.js';
import { parseIsoDuration } from '../../local/eventing/durations.js';

/** 2026-03-02 was a Monday. */
const at = (iso: string): Date => new Date(iso);

describe('cron schedules (PingSource)', () => {
  const cases: { schedule: string; time: string; matches: boolean }[] = [
    { schedule: '* * * * *', time: '2026-03-02T10:17:00Z', matches: true },
    { schedule: '*/15 * * * *', time: '2026-03-02T10:45:00Z', matches: true },
    { schedule: '*/15 * * * *', time: '2026-03-02T10:46:00Z', matches: false },
    { schedule: '5-10/2 * * * *', time: '2026-03-02T10:09:00Z', matches: true },
    { schedule: '5-10/2 * * * *', time: '2026-03-02T10:10:00Z', matches: false },
    { schedule: '0 9,17 * * *', time: '2026-03-02T17:00:00Z', matches: true },
    { schedule: '0 9 * * mon-fri', time: '2026-03-02T09:00:00Z', matches: true },
    { schedule: '0 9 * * sat,sun', time: '2026-03-02T09:00:00Z', matches: false },
    { schedule: '0 0 1 jan *', time: '2026-01-01T00:00:00Z', matches: true },
    { schedule: '0 0 * * 7', time: '2026-03-01T00:00:00Z', matches: true },
    { schedule: '0 0 13 * 5', time: '2026-03-02T00:00:00Z', matches: false },
    { schedule: '0 0 2 * 5', time: '2026-03-02T00:00:00Z', matches: true },
    { schedule: '0 0 13 * 1', time: '2026-03-02T00:00:00Z', matches: true },
    { schedule: '0 0 ? * 1', time: '2026-03-02T00:00:00Z', matches: true },
    { schedule: '@hourly', time: '2026-03-02T10:00:00Z', matches: true },
    { schedule: '@hourly', time: '2026-03-02T10:01:00Z', matches: false },
    { schedule: '@daily', time: '2026-03-02T00:00:00Z', matches: true },
    { schedule: 'CRON_TZ=Asia/Shanghai 0 9 * * *', time: '2026-03-02T01:00:00Z', matches: true },
    { schedule: 'CRON_TZ=Asia/Shanghai 0 9 * * *', time: '2026-03-02T09:00:00Z', matches: false },
  ];
  for (const { schedule, time, matches } of cases) {
    it(`"${schedule}" ${matches ? 'fires' : 'does not fire'} at ${time}`, () => {
      // Act
      const result = cronMatches(parseCron(schedule, 'UTC'), at(time));

      // Assess
      assert.equal(result, matches);
    });
  }

  it('reads the time zone of spec.timezone when the schedule has no prefix', () => {
    // Act
    const schedule = parseCron('30 8 * * *', 'Europe/Berlin');

    // Assess: 08:30 in Berlin in winter is 07:30 UTC
    assert.equal(cronMatches(schedule, at('2026-01-15T07:30:00Z')), true);
    assert.equal(cronMatches(schedule, at('2026-01-15T08:30:00Z')), false);
  });

  it('reads @every as an interval', () => {
    // Act
    const schedule = parseCron('@every 1m30s');

    // Assess
    assert.equal(schedule.everyMs, 90_000);
    assert.equal(schedule.fields, undefined);
  });

  const refusals: { schedule: string; message: RegExp }[] = [
    { schedule: '* * * *', message: /^expected 5 fields \(minute hour day-of-month month day-of-week\), found 4/ },
    { schedule: '60 * * * *', message: /^minute: "60" is not between 0 and 59$/ },
    { schedule: '* 24 * * *', message: /^hour: "24" is not between 0 and 23$/ },
    { schedule: '* * 0 * *', message: /^day of month: "0" is not between 1 and 31$/ },
    { schedule: '* * * foo *', message: /^month: "foo" is not between 1 and 12$/ },
    { schedule: '*/0 * * * *', message: /^minute: step "0" must be a positive integer$/ },
    { schedule: '10-5 * * * *', message: /^minute: range "10-5" runs backwards$/ },
    { schedule: '@fortnightly', message: /^unknown descriptor "@fortnightly"$/ },
    { schedule: '@every soon', message: /^@every: "soon" is not a positive duration/ },
    { schedule: 'CRON_TZ=Mars/Olympus * * * * *', message: /^unknown time zone "Mars\/Olympus"/ },
  ];
  for (const { schedule, message } of refusals) {
    it(`refuses "${schedule}" naming the field`, () => {
      // Act
      const attempt = (): unknown => parseCron(schedule);

      // Assess
      assert.throws(attempt, (error: unknown) => error instanceof CronError && message.test(error.message));
    });
  }

  it('fires a */n minute schedule exactly on the minutes divisible by n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 59 }), fc.integer({ min: 0, max: 59 }), (step, minute) => {
        // Prepare
        const schedule = parseCron(`*/${step} * * * *`, 'UTC');

        // Act
        const fires = cronMatches(schedule, new Date(Date.UTC(2026, 2, 2, 10, minute)));

        // Assess
        assert.equal(fires, minute % step === 0);
      }),
    );
  });
});

describe('ISO-8601 durations (delivery spec)', () => {
  const cases: { text: string; ms: number | undefined }[] = [
    { text: 'PT0.2S', ms: 200 },
    { text: 'PT1M', ms: 60_000 },
    { text: 'PT1H30M', ms: 5_400_000 },
    { text: 'P1DT1S', ms: 86_401_000 },
    { text: 'PT0,5S', ms: 500 },
    { text: 'P', ms: undefined },
    { text: 'PT', ms: undefined },
    { text: '200ms', ms: undefined },
    { text: '5s', ms: undefined },
  ];
  for (const { text, ms } of cases) {
    it(`reads "${text}" as ${ms === undefined ? 'not a duration' : `${ms} ms`}`, () => {
      // Act
      const parsed = parseIsoDuration(text);

      // Assess
      assert.equal(parsed, ms);
    });
  }
});
