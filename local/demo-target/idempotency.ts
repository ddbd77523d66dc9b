/**
 * `Idempotency-Key` handling as payment APIs and the IETF draft do it: the first request with a key is
 * processed and its answer kept; a repeat of it gets the kept answer without the effect being applied
 * again. A repeat that arrives while the first is still being processed gets 409; a key reused for a
 * different request (method, path or body) gets 422. Answers of 5xx are not kept: nothing was applied,
 * so the same key may be tried again.
 */
export interface StoredReply {
  status: number;
  body: unknown;
}

/** What to do with a request carrying a key. */
export type KeyDecision = { kind: 'process' } | { kind: 'replay'; reply: StoredReply } | { kind: 'in-flight' } | { kind: 'reused' };

interface Entry {
  fingerprint: string;
  reply?: StoredReply | undefined;
}

export class IdempotencyKeys {
  private readonly entries = new Map<string, Entry>();
  private duplicateCount = 0;

  /** Claims `key` for a request with this fingerprint, or says why it must not be processed. */
  begin(key: string, fingerprint: string): KeyDecision {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { fingerprint });
      return { kind: 'process' };
    }
    if (entry.fingerprint !== fingerprint) return { kind: 'reused' };
    this.duplicateCount += 1;
    return entry.reply === undefined ? { kind: 'in-flight' } : { kind: 'replay', reply: entry.reply };
  }

  /** Keeps the answer for repeats, or releases the key when nothing was applied (5xx). */
  finish(key: string, reply: StoredReply): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    if (reply.status >= 500) this.entries.delete(key);
    else entry.reply = reply;
  }

  /** How many requests repeated a key already seen (replayed or refused as in flight). */
  duplicates(): number {
    return this.duplicateCount;
  }

  clear(): void {
    this.entries.clear();
    this.duplicateCount = 0;
  }
}
