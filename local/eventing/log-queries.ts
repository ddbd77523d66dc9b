/**
 * Questions asked of the event log: which events a replay covers (a time range, an event-id range, or
 * both), and which deliveries were still under way when the broker stopped.
 */
import type { AcceptedRecord, LogRecord } from './event-log.js';

export interface ReplayRange {
  /** Events accepted at or after this time. */
  since?: Date | string | undefined;
  /** Events accepted at or before this time. */
  until?: Date | string | undefined;
  /** From the first event with this CloudEvent id (inclusive), in log order. */
  fromId?: string | undefined;
  /** Up to the first event with this id at or after `fromId` (inclusive). */
  toId?: string | undefined;
}

export class ReplayRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRangeError';
  }
}

const eventIdOf = (record: AcceptedRecord): string => (typeof record.event.id === 'string' ? record.event.id : '');

function timeOf(value: Date | string, field: string): number {
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) throw new ReplayRangeError(`${field}: "${String(value)}" is not a date`);
  return time;
}

function indexOfId(originals: readonly AcceptedRecord[], id: string, from: number, field: string): number {
  const index = originals.findIndex((record, position) => position >= from && eventIdOf(record) === id);
  if (index < 0) throw new ReplayRangeError(`${field}: no event with id "${id}" in the event log${from > 0 ? ' after fromId' : ''}`);
  return index;
}

function byIds(originals: readonly AcceptedRecord[], range: ReplayRange): readonly AcceptedRecord[] {
  const start = range.fromId === undefined ? 0 : indexOfId(originals, range.fromId, 0, 'fromId');
  const end = range.toId === undefined ? originals.length - 1 : indexOfId(originals, range.toId, start, 'toId');
  return originals.slice(start, end + 1);
}

/** The original accepted events (never earlier replays) a replay of `range` re-delivers, in log order. */
export function selectForReplay(records: readonly LogRecord[], range: ReplayRange): AcceptedRecord[] {
  const { since, until, fromId, toId } = range;
  if (since === undefined && until === undefined && fromId === undefined && toId === undefined) {
    throw new ReplayRangeError('a replay needs since, until, fromId or toId');
  }
  const originals = records.filter((record): record is AcceptedRecord => record.record === 'accepted' && record.replayOf === undefined);
  const lower = since === undefined ? -Infinity : timeOf(since, 'since');
  const upper = until === undefined ? Infinity : timeOf(until, 'until');
  return byIds(originals, range).filter((record) => {
    const at = Date.parse(record.at);
    return at >= lower && at <= upper;
  });
}

export interface PendingDelivery {
  accepted: AcceptedRecord;
  trigger: string;
}

/** Deliveries of accepted events that have no outcome recorded: the broker stopped while they were under way. */
export function pendingDeliveries(records: readonly LogRecord[]): PendingDelivery[] {
  const finished = new Set(records.flatMap((record) => (record.record === 'delivery' ? [`${record.eventSeq} ${record.trigger}`] : [])));
  return records.flatMap((record) =>
    record.record === 'accepted'
      ? record.triggers.filter((trigger) => !finished.has(`${record.seq} ${trigger}`)).map((trigger) => ({ accepted: record, trigger }))
      : [],
  );
}
