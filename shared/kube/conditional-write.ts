/**
 * A write made conditional on the resourceVersion that was read: losing the race is an answer
 * (`conflict`: re-read and decide again), and so is the object vanishing in between (`gone`).
 */
import { isConflict, isNotFound, toHandlerError } from '../errors.js';
import type { KubeObject } from './types.js';

export type WriteResult = { kind: 'written'; object: KubeObject } | { kind: 'conflict' } | { kind: 'gone' };

export async function conditionalWrite(write: () => Promise<KubeObject>, what: string): Promise<WriteResult> {
  try {
    return { kind: 'written', object: await write() };
  } catch (error: unknown) {
    if (isConflict(error)) return { kind: 'conflict' };
    if (isNotFound(error)) return { kind: 'gone' };
    throw toHandlerError(error, what);
  }
}
