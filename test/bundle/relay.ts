/**
 * A small in-test stand-in for the broker: it feeds each event to the functions whose triggers take it
 * (the README's event flow), queues their replies, and also takes the extra replies a function POSTs to its sink.
 * The real broker (retries, filters from knative/) comes with the local eventing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP, type CloudEvent } from 'cloudevents';
import { postEvent, type EventSpec } from './harness.js';
import { seededRandom } from '../../local/seeded-random.js';

export interface Delivery {
  to: string;
  type: string;
  status: number;
  /** The ce-type of the reply (200), if any. */
  reply?: string | undefined;
}

const ATTRIBUTES = new Set(['id', 'type', 'source', 'subject', 'specversion', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

/** The functions that take each of our event types (by operation for action.finished). */
const OUR_SUBSCRIBERS: Record<string, (operation: string | undefined) => string[]> = {
  'com.tencent.bkbcs.dr.workflow.validated': () => ['validate-plan'],
  'com.tencent.bkbcs.dr.action.requested': () => ['run-action'],
  'com.tencent.bkbcs.dr.action.finished': (operation) => [operation === 'Revert' ? 'revert' : 'plan-stages'],
};

/** The functions that take an ApiServerSource event, by kind. */
const OBJECT_SUBSCRIBERS: Record<string, (update: boolean, operation: string | undefined) => string[]> = {
  DRWorkflow: () => ['validate-workflow'],
  DRPlan: (update) => (update ? ['validate-plan', 'cancel'] : ['validate-plan']),
  DRPlanExecution: (update, operation) => [operation === 'Revert' ? 'revert' : 'plan-stages', ...(update ? ['cancel'] : [])],
  Job: () => ['run-action'],
};

/** Which functions a broker trigger would hand the event to (the README's event flow). */
export function subscribers(event: EventSpec): string[] {
  const data = event.data as { spec?: { operationType?: string }; operationType?: string } | undefined;
  const ours = OUR_SUBSCRIBERS[event.type];
  if (ours !== undefined) return ours(data?.operationType);
  if (!event.type.startsWith('dev.knative.apiserver.resource.') || event.type.endsWith('.delete')) return [];
  const forKind = OBJECT_SUBSCRIBERS[event.extensions?.kind ?? ''];
  return forKind === undefined ? [] : forKind(event.type.endsWith('.update'), data?.spec?.operationType);
}

function specOf(event: CloudEvent<unknown>): EventSpec {
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (!ATTRIBUTES.has(name) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) extensions[name] = String(value);
  }
  return { type: event.type, source: event.source, subject: event.subject, data: event.data, extensions };
}

export interface Relay {
  /** Where functions POST their extra replies (their K_SINK). */
  sinkUrl: string;
  deliveries: Delivery[];
  /** The types of the events functions POSTed to the sink (their second and later replies). */
  sunk: string[];
  /** Delivers `events` and everything they lead to, until nothing is left or `maxSteps` is reached. */
  run(events: EventSpec[], options?: RunOptions): Promise<void>;
  close(): Promise<void>;
}

/** How the relay misbehaves, as an at-least-once, unordered broker may. */
export interface RunOptions {
  maxSteps?: number;
  /** Deliver every event twice. */
  duplicate?: boolean;
  /** Take the next event at random from the queue (seeded, so a failure can be replayed). */
  shuffleSeed?: number;
}

export async function startRelay(urlOf: (name: string) => string): Promise<Relay> {
  const posted: EventSpec[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = specOf(HTTP.toEvent({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }) as CloudEvent<unknown>);
      sunk.push(event.type);
      posted.push(event);
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const deliveries: Delivery[] = [];
  const sunk: string[] = [];

  async function deliver(event: EventSpec): Promise<EventSpec[]> {
    const replies: EventSpec[] = [];
    for (const to of subscribers(event)) {
      const answer = await postEvent(urlOf(to), event);
      deliveries.push({ to, type: event.type, status: answer.status, reply: answer.headers.get('ce-type') ?? undefined });
      if (answer.status >= 300) throw new Error(`${to} answered ${answer.status} to ${event.type}: ${answer.text}`);
      if (answer.status === 200) {
        const extensions: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (name.startsWith('ce-') && !['ce-id', 'ce-type', 'ce-source', 'ce-subject', 'ce-specversion', 'ce-time'].includes(name))
            extensions[name.slice(3)] = value;
        });
        replies.push({ type: answer.headers.get('ce-type') ?? '', subject: answer.headers.get('ce-subject') ?? undefined, data: answer.json, extensions });
      }
    }
    return replies;
  }

  return {
    sinkUrl: `http://127.0.0.1:${port}/`,
    deliveries,
    sunk,
    async run(events, options = {}) {
      const { maxSteps = 100, duplicate = false, shuffleSeed } = options;
      const random = shuffleSeed === undefined ? undefined : seededRandom(shuffleSeed);
      const copies = (list: readonly EventSpec[]): EventSpec[] => (duplicate ? list.flatMap((e) => [e, e]) : [...list]);
      const queue = copies(events);
      for (let step = 0; step < maxSteps; step += 1) {
        queue.push(...copies(posted.splice(0)));
        const index = random === undefined ? 0 : Math.floor(random() * queue.length);
        const [next] = queue.splice(index, 1);
        if (next === undefined) return;
        queue.push(...copies(await deliver(next)));
      }
      throw new Error(`the relay was still busy after ${maxSteps} deliveries`);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
