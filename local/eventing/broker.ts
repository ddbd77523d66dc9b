/**
 * The brokers of the manifests, played in process: accept an event (hop budget, arrival time, log it
 * durably), hand it to every matching Trigger's subscriber with that Trigger's delivery policy,
 * dead-letter what cannot be delivered, and re-inject replies. Deliveries run concurrently and in no
 * particular order, as with Knative's channel-based broker. See docs/local-eventing.md.
 */
import { withAttributes, toStructured, fromStructured, type CloudEvent } from './cloudevent.js';
import { BROKER_DEFAULT_DELIVERY, deadLetterEvent, deliver, policyOf, type DeliveryPolicy, type DeliveryResult } from './delivery.js';
import type { AcceptedRecord, EventLog } from './event-log.js';
import { triggerMatches } from './filters.js';
import type { DeliverySpec, Destination, Trigger } from './knative-schemas.js';
import { pendingDeliveries, selectForReplay, type ReplayRange } from './log-queries.js';
import type { KnativeManifests } from './manifests.js';

/** Knative's hop limit: the `knativebrokerttl` extension, 255 unless the event carries one. */
export const TTL_ATTRIBUTE = 'knativebrokerttl';
export const DEFAULT_TTL = 255;
const ARRIVAL_ATTRIBUTE = 'knativearrivaltime';

/** Turns a sink (ref or uri) into a URL; throws naming `what` when it cannot. */
export type Resolve = (destination: Destination, namespace: string, what: string) => string;

export interface BrokerOptions {
  manifests: KnativeManifests;
  eventLog: EventLog;
  resolve: Resolve;
  /** Warnings and failures (dead letters, drops, lost events). */
  warn: (line: string) => void;
  /** One line per delivery, when wanted. */
  trace?: ((line: string) => void) | undefined;
  now?: () => Date;
}

interface Route {
  key: string;
  trigger: Trigger;
  subscriber: string;
  policy: DeliveryPolicy;
  deadLetterSink?: string | undefined;
}

export interface IngestResult {
  status: 202 | 400 | 404;
  message: string;
  record?: AcceptedRecord | undefined;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** `namespace/name` of the broker a Trigger subscribes to. */
function brokerKeyOf(trigger: Trigger, namespace: string): string {
  const { broker, brokerRef } = trigger.spec;
  return keyOf(brokerRef?.namespace ?? namespace, broker ?? brokerRef?.name ?? '');
}

/**
 * Retries and backoff come from the Trigger's delivery spec when it has one (not merged with the
 * Broker's); the dead-letter sink falls back to the Broker's, as Knative's trigger status does.
 */
function deadLetterOf(
  trigger: Trigger,
  namespace: string,
  broker: { delivery: DeliverySpec; namespace: string },
): { sink: Destination; namespace: string } | undefined {
  const own = trigger.spec.delivery?.deadLetterSink;
  if (own !== undefined) return { sink: own, namespace };
  const inherited = broker.delivery.deadLetterSink;
  return inherited === undefined ? undefined : { sink: inherited, namespace: broker.namespace };
}

/** The hop budget after this hop: Knative's TTLDefaulter (absent or not a number: 255; else one less, at least 0). */
export function nextTtl(raw: string | undefined): number {
  if (raw === undefined || !/^-?\d+$/.test(raw.trim())) return DEFAULT_TTL;
  return Math.max(0, Number(raw) - 1);
}

/** What every delivery record of the event log says, whatever the outcome. */
function deliveryRecord(route: Route, record: AcceptedRecord, event: CloudEvent, result: DeliveryResult) {
  return {
    record: 'delivery' as const,
    eventSeq: record.seq,
    eventId: event.attributes.id ?? '',
    trigger: route.key,
    subscriber: route.subscriber,
    attempts: result.attempts,
    status: result.status,
  };
}

export class Brokers {
  private readonly options: BrokerOptions;
  private readonly routes = new Map<string, Route[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(options: BrokerOptions) {
    this.options = options;
    for (const broker of options.manifests.brokers) this.routes.set(keyOf(broker.namespace, broker.name), []);
    for (const trigger of options.manifests.triggers) this.addRoute(trigger.object, trigger.namespace, trigger.name);
  }

  /** `namespace/name` of every broker. */
  keys(): string[] {
    return [...this.routes.keys()];
  }

  private addRoute(trigger: Trigger, namespace: string, name: string): void {
    const brokerKey = brokerKeyOf(trigger, namespace);
    const routes = this.routes.get(brokerKey);
    const what = `Trigger ${namespace}/${name}`;
    if (routes === undefined) throw new Error(`${what}: broker ${brokerKey} is not in the manifests`);
    const broker = this.options.manifests.brokers.find((b) => keyOf(b.namespace, b.name) === brokerKey);
    const brokerDelivery = broker?.object.spec?.delivery ?? BROKER_DEFAULT_DELIVERY;
    const deadLetter = deadLetterOf(trigger, namespace, { delivery: brokerDelivery, namespace: broker?.namespace ?? namespace });
    routes.push({
      key: keyOf(namespace, name),
      trigger,
      subscriber: this.options.resolve(trigger.spec.subscriber, namespace, `${what}: spec.subscriber`),
      policy: policyOf(trigger.spec.delivery ?? brokerDelivery),
      deadLetterSink: deadLetter === undefined ? undefined : this.options.resolve(deadLetter.sink, deadLetter.namespace, `${what}: dead-letter sink`),
    });
  }

  /** Accepts an event sent to a broker's ingress (or a reply): decrements the hop budget, logs it, starts delivery. */
  ingest(brokerKey: string, event: CloudEvent): IngestResult {
    if (!this.routes.has(brokerKey)) return { status: 404, message: `no broker ${brokerKey}` };
    const ttl = nextTtl(event.attributes[TTL_ATTRIBUTE]);
    const arrived = withAttributes(event, { [TTL_ATTRIBUTE]: undefined, [ARRIVAL_ATTRIBUTE]: (this.options.now?.() ?? new Date()).toISOString() });
    if (ttl <= 0) {
      const { id = '', type = '' } = event.attributes;
      this.options.eventLog.append({ record: 'dropped', broker: brokerKey, eventId: id, type, reason: `hop limit reached (${TTL_ATTRIBUTE} 0)` });
      this.options.warn(`broker ${brokerKey}: dropped ${type} ${id}: hop limit reached (${TTL_ATTRIBUTE} is 0; a reply loop?)`);
      return { status: 400, message: 'dropping event based on TTL status' };
    }
    const record = this.accept(brokerKey, arrived, ttl, undefined);
    return { status: 202, message: 'accepted', record };
  }

  private accept(brokerKey: string, event: CloudEvent, ttl: number, replayOf: number | undefined): AcceptedRecord {
    const routes = (this.routes.get(brokerKey) ?? []).filter((route) => triggerMatches(route.trigger, event));
    const record = this.options.eventLog.append({
      record: 'accepted',
      broker: brokerKey,
      ttl,
      triggers: routes.map((r) => r.key),
      event: toStructured(event),
      replayOf,
    });
    for (const route of routes) this.track(this.deliverTo(route, record, event));
    return record;
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.options.warn(`broker: a delivery failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async deliverTo(route: Route, record: AcceptedRecord, event: CloudEvent): Promise<void> {
    const signal = this.stopping.signal;
    const result = await deliver(route.subscriber, event, route.policy, signal);
    if (signal.aborted) return; // no outcome: redelivered after a restart
    const base = deliveryRecord(route, record, event, result);
    if (result.ok) {
      const reply = result.reply === undefined ? undefined : this.reinject(record.broker, result.reply, record.ttl);
      this.options.eventLog.append({ ...base, outcome: 'delivered', reply });
      this.options.trace?.(
        `${route.key}: delivered ${event.attributes.type ?? ''} ${base.eventId} → ${result.status ?? ''} after ${result.attempts} attempt(s)${reply === undefined ? '' : `, reply ${reply}`}`,
      );
      return;
    }
    await this.deadLetter(route, record, event, result);
  }

  private reinject(brokerKey: string, reply: CloudEvent, ttl: number): string {
    this.ingest(brokerKey, withAttributes(reply, { [TTL_ATTRIBUTE]: String(ttl) }));
    return reply.attributes.id ?? '';
  }

  private async deadLetter(route: Route, record: AcceptedRecord, event: CloudEvent, failure: DeliveryResult): Promise<void> {
    const base = { ...deliveryRecord(route, record, event, failure), error: failure.error };
    const what = `${route.key}: ${event.attributes.type ?? ''} ${base.eventId} failed after ${failure.attempts} attempt(s) (${failure.error ?? ''})`;
    if (route.deadLetterSink === undefined) {
      this.options.eventLog.append({ ...base, outcome: 'lost' });
      this.options.warn(`${what}; no dead-letter sink: the event is lost`);
      return;
    }
    const letter = deadLetterEvent(withAttributes(event, { [TTL_ATTRIBUTE]: String(record.ttl) }), route.subscriber, failure);
    const sent = await deliver(route.deadLetterSink, letter, route.policy, this.stopping.signal);
    if (this.stopping.signal.aborted) return;
    this.options.eventLog.append({ ...base, outcome: sent.ok ? 'dead-lettered' : 'lost', deadLetterSink: route.deadLetterSink });
    this.options.warn(
      sent.ok
        ? `${what}; sent to the dead-letter sink ${route.deadLetterSink}`
        : `${what}; the dead-letter sink failed too (${sent.error ?? ''}): the event is lost`,
    );
  }

  /** Re-delivers the logged events of `range` to the triggers that match them now; returns the replays. */
  replay(range: ReplayRange): AcceptedRecord[] {
    const chosen = selectForReplay(this.options.eventLog.records(), range);
    return chosen
      .filter((original) => this.routes.has(original.broker))
      .map((original) => this.accept(original.broker, fromStructured(original.event), original.ttl, original.seq));
  }

  /** Restarts the deliveries that were under way when the broker last stopped; returns how many. */
  resumePending(): number {
    const pending = pendingDeliveries(this.options.eventLog.records());
    let resumed = 0;
    for (const { accepted, trigger } of pending) {
      const route = this.routes.get(accepted.broker)?.find((r) => r.key === trigger);
      if (route === undefined) continue;
      this.track(this.deliverTo(route, accepted, fromStructured(accepted.event)));
      resumed += 1;
    }
    return resumed;
  }

  /** Resolves when no delivery (nor any reply it led to) is under way. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Aborts the deliveries under way (they stay pending in the log) and waits for them to unwind. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }
}
