/**
 * Durable state: a snapshot (`snapshot.json`) plus a write-ahead log (`wal.log`), one JSON line per
 * change, fdatasync'd before a write is acknowledged. The log file is preallocated (zero-filled) and
 * written in place, so that fdatasync flushes data blocks only, not the file size (several times
 * cheaper on ext4). Opening replays the log over the snapshot (a torn last line from a crash, and the
 * zero padding, are ignored; a corrupt record before others stops the start); compaction writes a new
 * snapshot atomically (temp file, fsync, rename, fsync the folder) and starts an empty log. A batch
 * that fails to be written is zeroed out again, and the store undoes its changes (store.ts). See
 * docs/adr/0003.
 */
import { closeSync, existsSync, fchmodSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from './types.js';
import { isRecord } from './types.js';

/** The state holds every object, Secrets included: only its owner may read it. */
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

/** One change: `object` is the new state, or absent when the object was removed. */
export interface WalRecord {
  rv: number;
  key: string;
  object?: KubeObject;
}

export interface DurableState {
  resourceVersion: number;
  objects: Map<string, KubeObject>;
}

const SNAPSHOT = 'snapshot.json';
const LOG = 'wal.log';
/** The log grows by this much at a time (zero-filled, then fsync'd once). */
const SEGMENT_BYTES = 8 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);
const LOCK = 'apiserver.lock';

function readSnapshot(dir: string): DurableState {
  const path = join(dir, SNAPSHOT);
  const objects = new Map<string, KubeObject>();
  if (!existsSync(path)) return { resourceVersion: 0, objects };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error: unknown) {
    throw new Error(`the snapshot ${path} is unreadable; restore it from a backup or move it away to start empty`, { cause: error });
  }
  if (!isRecord(parsed) || typeof parsed.resourceVersion !== 'number' || !Array.isArray(parsed.objects)) {
    throw new Error(`the snapshot ${path} is not a snapshot of this server`);
  }
  for (const entry of parsed.objects) {
    if (isRecord(entry) && typeof entry.key === 'string' && isRecord(entry.object)) objects.set(entry.key, entry.object as KubeObject);
  }
  return { resourceVersion: parsed.resourceVersion, objects };
}

function parseRecord(line: string): WalRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (isRecord(value) && typeof value.rv === 'number' && typeof value.key === 'string') {
      return { rv: value.rv, key: value.key, ...(isRecord(value.object) ? { object: value.object as KubeObject } : {}) };
    }
  } catch {
    // not a record: torn (the last one) or corrupt (any other); the caller tells which
  }
  return undefined;
}

/**
 * Replays the log over the snapshot. A torn last record (a crash in the middle of its write: it was
 * never acknowledged) ends the log; a record that does not parse with acknowledged records after it is
 * corruption, and the start stops, naming the file and the byte offset — dropping it would make the
 * loss of an acknowledged write permanent at the next compaction.
 */
function replayLog(dir: string, state: DurableState): number {
  const path = join(dir, LOG);
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  const end = text.indexOf('\0');
  const lines = (end < 0 ? text : text.slice(0, end)).split('\n');
  let count = 0;
  let offset = 0;
  for (const [index, line] of lines.entries()) {
    const at = offset;
    offset += Buffer.byteLength(line) + 1;
    if (line === '') continue;
    const record = parseRecord(line);
    if (record === undefined) {
      if (lines.slice(index + 1).some((rest) => rest !== '')) {
        throw new Error(
          `the write-ahead log ${path} has a corrupt record at byte ${at}, followed by others; restore the state folder from a backup (or move ${LOG} away to lose every change since the last snapshot)`,
        );
      }
      break;
    }
    if (apply(state, record)) count += 1;
  }
  return count;
}

/** Applies a record newer than the state; false for one the state already holds. */
function apply(state: DurableState, record: WalRecord): boolean {
  if (record.rv <= state.resourceVersion) return false;
  if (record.object === undefined) state.objects.delete(record.key);
  else state.objects.set(record.key, record.object);
  state.resourceVersion = record.rv;
  return true;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One server per state folder: a lock file holding the owner's pid (a stale one is taken over). */
function takeLock(dir: string): string {
  const path = join(dir, LOCK);
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
      throw new Error(`the state folder ${dir} is in use by process ${pid}`);
    }
  }
  const fd = openSync(path, 'w');
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  return path;
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the whole state as the snapshot, atomically: after this returns, the log may be emptied. */
function writeSnapshot(dir: string, state: DurableState): void {
  const objects = [...state.objects.entries()].map(([key, object]) => ({ key, object }));
  const tmp = join(dir, `${SNAPSHOT}.tmp`);
  const fd = openSync(tmp, 'w', PRIVATE_FILE);
  try {
    fchmodSync(fd, PRIVATE_FILE);
    writeSync(fd, JSON.stringify({ resourceVersion: state.resourceVersion, objects }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, SNAPSHOT));
  syncDir(dir);
}

/** Appends `bytes` zero bytes at `offset` and makes the new size durable. */
function zeroFill(fd: number, offset: number, bytes: number): void {
  for (let written = 0; written < bytes; written += ZEROS.length) writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, bytes - written), offset + written);
  fsyncSync(fd);
}

export class WriteAheadLog {
  private fd: number;
  private pending: string[] = [];
  private records = 0;
  /** Bytes in the log since the last compaction. */
  private bytes = 0;
  /** Tests: this many coming flushes fail as a full disk would, after writing part of their batch. */
  private failures = 0;
  /** Where the next record goes, and how much of the file is allocated. */
  private position = 0;
  private allocated = 0;
  private readonly lockPath: string;
  private readonly dir: string;

  private constructor(dir: string, lockPath: string) {
    this.dir = dir;
    this.lockPath = lockPath;
    this.fd = this.freshLog();
  }

  /** Opens (creating) the state folder, loads snapshot + log, and compacts them into a fresh snapshot. */
  static open(dir: string): { wal: WriteAheadLog; state: DurableState } {
    // a folder made here is private; one the user named is left as it is (its files are private anyway)
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    const lockPath = takeLock(dir);
    const state = readSnapshot(dir);
    replayLog(dir, state);
    writeSnapshot(dir, state);
    return { wal: new WriteAheadLog(dir, lockPath), state };
  }

  append(record: WalRecord): void {
    this.pending.push(`${JSON.stringify(record)}\n`);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** How many records the log holds since the last compaction. */
  get size(): number {
    return this.records;
  }

  /** How many bytes the log holds since the last compaction. */
  get byteSize(): number {
    return this.bytes;
  }

  /** Tests: the next `count` flushes fail (ENOSPC) after writing half of their batch. */
  failNextFlushes(count: number): void {
    this.failures = count;
  }

  /**
   * Writes every pending record and waits for the disk: after this returns, they survive a crash. When
   * it throws, none of them counts: what part of the batch reached the file is overwritten with zeros
   * (the log ends there on replay), and the next batch is written at the same place.
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.join('');
    const count = this.pending.length;
    this.pending = [];
    const buffer = Buffer.from(batch, 'utf8');
    try {
      this.write(buffer);
    } catch (error: unknown) {
      try {
        zeroFill(this.fd, this.position, Math.min(buffer.length, Math.max(0, this.allocated - this.position)));
        fdatasyncSync(this.fd);
      } catch {
        // the disk refuses even that: a restart finds a torn or partial last batch, which it ignores
      }
      throw error;
    }
    this.position += buffer.length;
    this.records += count;
    this.bytes += buffer.length;
  }

  private write(buffer: Buffer): void {
    if (this.position + buffer.length > this.allocated) {
      const grow = Math.max(SEGMENT_BYTES, buffer.length);
      zeroFill(this.fd, this.allocated, grow);
      this.allocated += grow;
    }
    const limit = this.failures > 0 ? Math.floor(buffer.length / 2) : buffer.length;
    let offset = 0;
    while (offset < limit) offset += writeSync(this.fd, buffer, offset, limit - offset, this.position + offset);
    if (this.failures > 0) {
      this.failures -= 1;
      throw Object.assign(new Error('ENOSPC: no space left on device, write (injected)'), { code: 'ENOSPC' });
    }
    fdatasyncSync(this.fd);
  }

  /** Writes the whole state as the new snapshot and starts an empty log. */
  compact(state: DurableState): void {
    this.flush();
    writeSnapshot(this.dir, state);
    closeSync(this.fd);
    this.fd = this.freshLog();
    this.records = 0;
    this.bytes = 0;
  }

  /** An empty, preallocated log (what a crash leaves in it after the snapshot is replayed anyway). */
  private freshLog(): number {
    const fd = openSync(join(this.dir, LOG), 'w+', PRIVATE_FILE);
    fchmodSync(fd, PRIVATE_FILE);
    zeroFill(fd, 0, SEGMENT_BYTES);
    this.position = 0;
    this.allocated = SEGMENT_BYTES;
    return fd;
  }

  close(state: DurableState): void {
    this.flush();
    writeSnapshot(this.dir, state);
    closeSync(this.fd);
    unlinkSync(join(this.dir, LOG));
    try {
      unlinkSync(this.lockPath);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
