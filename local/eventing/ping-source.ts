/**
 * PingSources: at each minute their cron schedule matches (checked at every minute boundary), send
 * `dev.knative.sources.ping` with the source's fixed data to its sink, as Knative's ping adapter does
 * (`source` = `/apis/v1/namespaces/<ns>/pingsources/<name>`, `time` = the scheduled time). For fast
 * local runs and tests, `tickSeconds` replaces every schedule with "every N seconds".
 */
import { randomUUID } from 'node:crypto';
import { dataFromBytes, toBinary, type CloudEvent } from './cloudevent.js';
import { cronMatches, parseCron, type CronSchedule } from './cron.js';
import type { PingSource } from './knative-schemas.js';
import type { Located } from './manifests.js';

export const PING_TYPE = 'dev.knative.sources.ping';

export interface PingOptions {
  sources: readonly Located<PingSource>[];
  /** The sink URL of a source (resolved from `spec.sink`). */
  sinkOf: (source: Located<PingSource>) => string;
  warn: (line: string) => void;
  /** Fire every N seconds instead of on the schedules. */
  tickSeconds?: number | undefined;
  now?: () => Date;
}

export interface PingSources {
  /** Fires every source once now, whatever its schedule (for tests and `drplan dev`'s first resync). */
  fireAll(): Promise<void>;
  stop(): void;
}

/** The event a PingSource sends at `time`. */
export function pingEvent(source: Located<PingSource>, time: Date): CloudEvent {
  const { spec } = source.object;
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: randomUUID(),
    source: `/apis/v1/namespaces/${source.namespace}/pingsources/${source.name}`,
    type: PING_TYPE,
    time: time.toISOString(),
    ...(spec.ceOverrides?.extensions ?? {}),
  };
  if (spec.contentType !== undefined && spec.contentType !== '') attributes.datacontenttype = spec.contentType;
  const bytes = spec.dataBase64 === undefined ? Buffer.from(spec.data ?? '', 'utf8') : Buffer.from(spec.dataBase64, 'base64');
  return { attributes, data: dataFromBytes(bytes, spec.contentType) };
}

async function send(source: Located<PingSource>, sink: string, time: Date, warn: (line: string) => void): Promise<void> {
  const message = toBinary(pingEvent(source, time));
  try {
    const response = await fetch(sink, { method: 'POST', headers: message.headers, body: message.body, signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (!response.ok) warn(`PingSource ${source.namespace}/${source.name}: the sink ${sink} answered ${response.status}`);
  } catch (error: unknown) {
    warn(`PingSource ${source.namespace}/${source.name}: cannot reach the sink ${sink}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface Scheduled {
  source: Located<PingSource>;
  sink: string;
  schedule: CronSchedule;
}

function schedules(options: PingOptions): Scheduled[] {
  return options.sources.map((source) => {
    try {
      return { source, sink: options.sinkOf(source), schedule: parseCron(source.object.spec.schedule, source.object.spec.timezone) };
    } catch (error: unknown) {
      throw new Error(
        `PingSource ${source.namespace}/${source.name} (${source.file}): spec.schedule: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  });
}

/** Starts the sources' timers. */
export function startPingSources(options: PingOptions): PingSources {
  const now = options.now ?? ((): Date => new Date());
  const entries = schedules(options);
  const fire = (entry: Scheduled, time: Date): Promise<void> => send(entry.source, entry.sink, time, options.warn);
  const tickMs = options.tickSeconds === undefined ? undefined : options.tickSeconds * 1000;
  const intervals = entries.flatMap((entry) => {
    const everyMs = tickMs ?? entry.schedule.everyMs;
    return everyMs === undefined ? [] : [setInterval(() => void fire(entry, now()), everyMs).unref()];
  });
  const cronEntries = tickMs === undefined ? entries.filter((entry) => entry.schedule.fields !== undefined) : [];
  let minuteTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const armMinute = (): void => {
    if (stopped || cronEntries.length === 0) return;
    minuteTimer = setTimeout(onMinute, 60_000 - (now().getTime() % 60_000)).unref();
  };
  function onMinute(): void {
    const minute = new Date(Math.round(now().getTime() / 60_000) * 60_000);
    for (const entry of cronEntries) if (cronMatches(entry.schedule, minute)) void fire(entry, minute);
    armMinute();
  }
  armMinute();
  return {
    fireAll: async () => {
      await Promise.all(entries.map((entry) => fire(entry, now())));
    },
    stop: () => {
      stopped = true;
      for (const interval of intervals) clearInterval(interval);
      clearTimeout(minuteTimer);
    },
  };
}
