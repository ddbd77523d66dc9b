/**
 * Sending the second and later replies of one event to the broker ingress (the first one is the HTTP
 * reply). Binary-mode CloudEvents over HTTP, like the broker itself delivers. A failure is logged and
 * otherwise ignored: the execution status records what was requested, and the resync tick requests it
 * again (ADR 0005).
 */
import { HTTP, type CloudEvent } from 'cloudevents';
import type { Logger } from '../function-deps.js';

/** How long one POST to the broker may take. */
const POST_TIMEOUT_MS = 5_000;

/** The broker ingress URL: `K_SINK` (set by a SinkBinding) or `BROKER_URL` (set in the Service manifest). */
export function sinkFrom(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['K_SINK', 'BROKER_URL'] as const) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

export interface BrokerOptions {
  env: NodeJS.ProcessEnv;
  fetch: typeof globalThis.fetch;
  log: Logger;
}

async function postOne(sink: string, event: CloudEvent<unknown>, options: BrokerOptions): Promise<void> {
  const message = HTTP.binary(event);
  try {
    const response = await options.fetch(sink, {
      method: 'POST',
      headers: message.headers as Record<string, string>,
      body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    if (!response.ok)
      options.log.warn({ type: event.type, subject: event.subject, status: response.status }, 'the broker refused a reply; the resync tick recovers it');
  } catch (error: unknown) {
    options.log.warn({ type: event.type, subject: event.subject, err: error }, 'a reply could not be sent to the broker; the resync tick recovers it');
  }
}

/** POSTs each event to the broker, all at once; never throws. */
export async function postToBroker(events: readonly CloudEvent<unknown>[], options: BrokerOptions): Promise<void> {
  const sink = sinkFrom(options.env);
  if (sink === undefined) {
    options.log.warn({ dropped: events.map((e) => e.type) }, 'no K_SINK or BROKER_URL: extra replies dropped; the resync tick recovers them');
    return;
  }
  await Promise.all(events.map((event) => postOne(sink, event, options)));
}
