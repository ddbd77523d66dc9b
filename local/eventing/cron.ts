/**
 * Cron schedules as Knative's PingSource reads them (robfig/cron's standard parser): five fields
 * (minute, hour, day of month, month, day of week) with `*`, `?`, values, names (`jan`, `mon`),
 * ranges, steps and lists; the descriptors `@yearly` … `@hourly` and `@every <duration>`; an optional
 * `CRON_TZ=<zone>` / `TZ=<zone>` prefix. Day of month and day of week combine as in cron: when both
 * are restricted, either may match.
 */
export interface CronSchedule {
  /** Which minutes of the day-time match; undefined for `@every`. */
  fields?: CronFields | undefined;
  /** For `@every`: the interval in milliseconds. */
  everyMs?: number | undefined;
  /** IANA zone the fields are read in (undefined: the system's). */
  timeZone?: string | undefined;
}

export interface CronFields {
  minute: ReadonlySet<number>;
  hour: ReadonlySet<number>;
  dayOfMonth: ReadonlySet<number>;
  month: ReadonlySet<number>;
  dayOfWeek: ReadonlySet<number>;
  /** Whether day of month / day of week were `*` or `?` (cron's OR rule applies only when neither is). */
  anyDayOfMonth: boolean;
  anyDayOfWeek: boolean;
}

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function valueOf(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  const value = named >= 0 ? named + (spec.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(value) || value < spec.min || value > spec.max) throw new CronError(`${spec.name}: "${text}" is not between ${spec.min} and ${spec.max}`);
  return value;
}

function rangeOf(text: string, spec: FieldSpec, stepped: boolean): [number, number] {
  if (text === '*' || text === '?') return [spec.min, spec.max];
  const [low = '', high] = text.split('-');
  const start = valueOf(low, spec);
  if (high !== undefined) return [start, valueOf(high, spec)];
  return [start, stepped ? spec.max : start];
}

function addPart(part: string, spec: FieldSpec, into: Set<number>): void {
  const [range = '', stepText] = part.split('/');
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) throw new CronError(`${spec.name}: step "${stepText ?? ''}" must be a positive integer`);
  const [start, end] = rangeOf(range, spec, stepText !== undefined);
  if (start > end) throw new CronError(`${spec.name}: range "${range}" runs backwards`);
  for (let value = start; value <= end; value += step) into.add(value);
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(`${spec.name}: empty list item in "${text}"`);
    addPart(part, spec, values);
  }
  return values;
}

/** `1h30m`, `90s`, `500ms` (Go durations, for `@every`). */
function goDurationMs(text: string): number {
  const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, value: string, unit: string) => {
    total += Number(value) * (units[unit] ?? 0);
    return '';
  });
  if (rest !== '' || total <= 0) throw new CronError(`@every: "${text}" is not a positive duration such as 30s or 1h30m`);
  return total;
}

function parseFields(text: string): CronFields {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length} in "${text}"`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parts.map((part, index) => parseField(part, FIELDS[index] ?? { name: '?', min: 0, max: 0 }));
  if (minute === undefined || hour === undefined || dayOfMonth === undefined || month === undefined || dayOfWeek === undefined)
    throw new CronError(`cannot read "${text}"`);
  if (dayOfWeek.delete(7)) dayOfWeek.add(0);
  const any = (index: number): boolean => parts[index] === '*' || parts[index] === '?';
  return { minute, hour, dayOfMonth, month, dayOfWeek, anyDayOfMonth: any(2), anyDayOfWeek: any(4) };
}

function checkZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch (error: unknown) {
    throw new CronError(`unknown time zone "${zone}": ${error instanceof Error ? error.message : String(error)}`);
  }
  return zone;
}

/** Reads a schedule; `timeZone` is PingSource's `spec.timezone` (a `CRON_TZ=` prefix wins). */
export function parseCron(text: string, timeZone?: string): CronSchedule {
  const prefixed = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text.trim());
  const zone = prefixed?.[1] ?? timeZone;
  const body = (prefixed?.[2] ?? text).trim();
  const checkedZone = zone === undefined ? undefined : checkZone(zone);
  if (body.startsWith('@every ')) return { everyMs: goDurationMs(body.slice('@every '.length).trim()), timeZone: checkedZone };
  const expanded = DESCRIPTORS[body.toLowerCase()] ?? body;
  if (expanded.startsWith('@')) throw new CronError(`unknown descriptor "${body}"`);
  return { fields: parseFields(expanded), timeZone: checkedZone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minute, hour, day, month (1-12) and weekday (0 = Sunday) of `date` in `timeZone`. */
export function partsIn(date: Date, timeZone: string | undefined): { minute: number; hour: number; day: number; month: number; weekday: number } {
  const key = timeZone ?? '';
  let format = formatters.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      minute: 'numeric',
      hour: 'numeric',
      day: 'numeric',
      month: 'numeric',
      weekday: 'short',
    });
    formatters.set(key, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return {
    minute: Number(parts.minute),
    hour: Number(parts.hour),
    day: Number(parts.day),
    month: Number(parts.month),
    weekday: DAYS.indexOf((parts.weekday ?? '').toLowerCase().slice(0, 3)),
  };
}

/** Whether the minute `date` falls in is one the schedule fires at (always false for `@every`). */
export function cronMatches(schedule: CronSchedule, date: Date): boolean {
  const fields = schedule.fields;
  if (fields === undefined) return false;
  const at = partsIn(date, schedule.timeZone);
  if (!fields.minute.has(at.minute) || !fields.hour.has(at.hour) || !fields.month.has(at.month)) return false;
  const dayOfMonth = fields.dayOfMonth.has(at.day);
  const dayOfWeek = fields.dayOfWeek.has(at.weekday);
  return fields.anyDayOfMonth || fields.anyDayOfWeek ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
}
