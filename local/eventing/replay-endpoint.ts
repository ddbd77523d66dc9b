/**
 * `POST /_replay` on the ingress, what `drplan replay` calls: the body is a JSON range
 * `{ since?, until?, fromId?, toId? }`; the answer is 200 `{ replayed: [{ seq, id, type, subject }] }`
 * or 400 with the reason as text.
 */
import type { Brokers } from './broker.js';
import { ReplayRangeError, type ReplayRange } from './log-queries.js';

const RANGE_FIELDS = ['since', 'until', 'fromId', 'toId'] as const;

export interface ReplayAnswer {
  status: 200 | 400;
  contentType: string;
  text: string;
}

const refused = (text: string): ReplayAnswer => ({ status: 400, contentType: 'text/plain; charset=utf-8', text: `${text}\n` });

function rangeOf(body: Buffer): ReplayRange | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error: unknown) {
    return `the replay range must be JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the replay range must be a JSON object';
  const range: Record<string, string> = {};
  for (const [field, text] of Object.entries(value)) {
    if (!(RANGE_FIELDS as readonly string[]).includes(field)) return `${field}: not a replay range field (${RANGE_FIELDS.join(', ')})`;
    if (typeof text !== 'string') return `${field}: must be a string`;
    range[field] = text;
  }
  return range;
}

/** Replays the range the body names; answers which events were re-delivered. */
export function replayRequest(brokers: Brokers, body: Buffer): ReplayAnswer {
  const range = rangeOf(body);
  if (typeof range === 'string') return refused(range);
  try {
    const replayed = brokers.replay(range).map((record) => ({ seq: record.seq, id: record.event.id, type: record.event.type, subject: record.event.subject }));
    return { status: 200, contentType: 'application/json', text: JSON.stringify({ replayed }) };
  } catch (error: unknown) {
    if (error instanceof ReplayRangeError) return refused(error.message);
    throw error;
  }
}
