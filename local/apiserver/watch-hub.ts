/**
 * Fan-out of committed changes to watchers, plus a window of recent events so that a watch can resume
 * from a resourceVersion. A resourceVersion older than the window gets 410 Gone, like a real server
 * after etcd compaction. The window starts empty at server start: history is not persisted.
 */
import { gone } from './errors.js';
import type { StoreEvent } from './store.js';

export type Subscriber = (event: StoreEvent) => void;

export class WatchHub {
  private readonly history: StoreEvent[] = [];
  private readonly capacity: number;
  /** Every event with a resourceVersion above this is in `history`. */
  private oldest: number;
  private readonly subscribers = new Set<Subscriber>();

  constructor(startVersion: number, capacity: number) {
    this.oldest = startVersion;
    this.capacity = Math.max(1, capacity);
  }

  publish(events: readonly StoreEvent[]): void {
    for (const event of events) {
      this.history.push(event);
      for (const subscriber of this.subscribers) subscriber(event);
    }
    const excess = this.history.length - this.capacity;
    if (excess > 0) {
      const dropped = this.history.splice(0, excess);
      this.oldest = dropped[dropped.length - 1]?.resourceVersion ?? this.oldest;
    }
  }

  /**
   * The events after `resourceVersion` (for replay), then live ones through `subscriber` until the
   * returned function is called. Throws 410 Gone when the window no longer reaches back that far.
   */
  subscribe(resourceVersion: number, subscriber: Subscriber): { replay: StoreEvent[]; unsubscribe: () => void } {
    if (resourceVersion < this.oldest) throw gone(resourceVersion, this.oldest + 1);
    const replay = this.history.filter((event) => event.resourceVersion > resourceVersion);
    // A change made but not yet on disk has a resourceVersion at or below a list's, and is already in
    // what the client listed: skip it when it is published.
    const live: Subscriber = (event) => {
      if (event.resourceVersion > resourceVersion) subscriber(event);
    };
    this.subscribers.add(live);
    return { replay, unsubscribe: () => this.subscribers.delete(live) };
  }

  get watchers(): number {
    return this.subscribers.size;
  }
}
