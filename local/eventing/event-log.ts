/**
 * The durable event log: one JSON object per line in `<state>/events.jsonl`, so what was accepted and
 * what became of it survives a crash or a restart. It records every accepted event (with the triggers
 * that took it), every delivery outcome, every event dropped at the hop limit and every event a
 * stand-in sink received. Replays append a new `accepted` record pointing at the original (`replayOf`).
 *
 * Group commit: a record is written at once and made durable by an fsync shared with every record
 * written meanwhile, run off the event loop; `durable()` waits for it. The ingress answers 202 only
 * once the accepted record is durable. A delivery outcome lost with a crash before its fsync only
 * means the event is delivered again after the restart — at least once, as Knative promises.
 */
import { closeSync, fchmodSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type StructuredEvent = Readonly<Record<string, unknown>>;

interface Stamp {
  /** Position in the log, from 1. */
  seq: number;
  /** When the record was written (ISO 8601). */
  at: string;
}

export interface AcceptedRecord extends Stamp {
  record: 'accepted';
  /** `namespace/name` of the broker. */
  broker: string;
  /** The hop budget left (`knativebrokerttl`) when accepted. */
  ttl: number;
  /** `namespace/name` of every trigger that took the event. */
  triggers: string[];
  event: StructuredEvent;
  /** The `seq` of the original when this is a replay. */
  replayOf?: number | undefined;
}

export type DeliveryOutcome = 'delivered' | 'dead-lettered' | 'lost';

export interface DeliveryRecord extends Stamp {
  record: 'delivery';
  eventSeq: number;
  eventId: string;
  trigger: string;
  subscriber: string;
  outcome: DeliveryOutcome;
  attempts: number;
  /** The last HTTP status (absent after a network error or timeout). */
  status?: number | undefined;
  error?: string | undefined;
  /** The id of the reply event re-injected into the broker. */
  reply?: string | undefined;
  deadLetterSink?: string | undefined;
}

export interface DroppedRecord extends Stamp {
  record: 'dropped';
  broker: string;
  eventId: string;
  type: string;
  reason: string;
}

export interface SunkRecord extends Stamp {
  record: 'sunk';
  /** `namespace/name` of the stand-in sink (a Service the host does not run). */
  sink: string;
  event: StructuredEvent;
}

export type LogRecord = AcceptedRecord | DeliveryRecord | DroppedRecord | SunkRecord;
type Unstamped<T> = T extends Stamp ? Omit<T, keyof Stamp> : never;
export type NewLogRecord = Unstamped<LogRecord>;

const isRecordLine = (value: unknown): value is LogRecord =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { seq?: unknown }).seq === 'number' &&
  typeof (value as { record?: unknown }).record === 'string';

/** Parses the log's text; a torn last line (a crash mid-write) is skipped and reported. */
export function parseLog(text: string): { records: LogRecord[]; torn: number } {
  const records: LogRecord[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecordLine(value)) records.push(value);
      else torn += 1;
    } catch {
      torn += 1;
    }
  }
  return { records, torn };
}

export class EventLog {
  readonly path: string;
  private readonly fd: number;
  private readonly now: () => Date;
  private nextSeq: number;
  private closed = false;
  /** Records written so far, and how many of them an fsync has covered. */
  private written = 0;
  private synced = 0;
  private flushing = false;
  private waiters: { upTo: number; resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** The asynchronous fsync; tests count the calls. */
  private readonly sync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

  private constructor(path: string, fd: number, nextSeq: number, io: { now: () => Date; sync: EventLog['sync'] }) {
    this.sync = io.sync;
    const { now } = io;
    this.path = path;
    this.fd = fd;
    this.nextSeq = nextSeq;
    this.now = now;
  }

  /** Opens (or creates) the log at `path`; `warn` hears about torn lines. */
  static open(path: string, options: { now?: () => Date; warn?: (line: string) => void; sync?: EventLog['sync'] } = {}): EventLog {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the event log ${path}`, { cause: error });
    }
    const { records, torn } = parseLog(text);
    if (torn > 0) options.warn?.(`event log ${path}: ${torn} unreadable line(s) skipped (a write cut short by a crash)`);
    const last = records.reduce((max, record) => Math.max(max, record.seq), 0);
    // the log holds every event, data included (an execution's whole status): only its owner may read it
    const fd = openSync(path, 'a', 0o600);
    fchmodSync(fd, 0o600);
    // A torn last line must not glue itself to the next record.
    if (text !== '' && !text.endsWith('\n')) writeSync(fd, '\n');
    return new EventLog(path, fd, last + 1, { now: options.now ?? ((): Date => new Date()), sync: options.sync ?? fsync });
  }

  /** Appends one record (durable with the next group fsync: `durable()`); returns it with its `seq` and `at`. */
  append<T extends NewLogRecord>(record: T): T & Stamp {
    if (this.closed) throw new Error(`the event log ${this.path} is closed`);
    const stamped = { seq: this.nextSeq, at: this.now().toISOString(), ...record };
    this.nextSeq += 1;
    writeSync(this.fd, `${JSON.stringify(stamped)}\n`);
    this.written += 1;
    this.flush();
    return stamped;
  }

  /** Resolves once every record appended so far is on disk. */
  durable(): Promise<void> {
    if (this.synced >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.written, resolve, reject });
    });
  }

  /** One fsync at a time, covering everything written before it started; another follows if more came. */
  private flush(): void {
    if (this.flushing || this.closed || this.synced >= this.written) return;
    this.flushing = true;
    const upTo = this.written;
    this.sync(this.fd, (error) => {
      this.flushing = false;
      if (error !== null && !this.closed) {
        this.settle(
          (waiter) => waiter.upTo <= upTo,
          (waiter) => {
            waiter.reject(new Error(`the event log ${this.path} could not be synced`, { cause: error }));
          },
        );
        return;
      }
      this.synced = Math.max(this.synced, upTo);
      this.settle(
        (waiter) => waiter.upTo <= this.synced,
        (waiter) => {
          waiter.resolve();
        },
      );
      this.flush();
    });
  }

  private settle(done: (waiter: EventLog['waiters'][number]) => boolean, act: (waiter: EventLog['waiters'][number]) => void): void {
    const ready = this.waiters.filter(done);
    this.waiters = this.waiters.filter((waiter) => !done(waiter));
    for (const waiter of ready) act(waiter);
  }

  /** Every record written so far (read from disk). */
  records(): LogRecord[] {
    return parseLog(readFileSync(this.path, 'utf8')).records;
  }

  /** Syncs what is not yet on disk and closes the file; waiters of `durable()` are answered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.synced < this.written) fsyncSync(this.fd);
    this.synced = this.written;
    closeSync(this.fd);
    this.settle(
      () => true,
      (waiter) => {
        waiter.resolve();
      },
    );
  }
}
