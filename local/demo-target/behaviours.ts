/**
 * Behaviour injected into the demo target for drills and tests: answer an endpoint with an error the
 * first N times (then normally), or always; and/or add latency before it answers. A behaviour matches
 * one path (and one method, or any); the first matching behaviour applies.
 */
import { z } from 'zod';

export const BehaviourSchema = z.strictObject({
  method: z.string().min(1).toUpperCase().optional().describe('Only requests with this method (default: any)'),
  path: z.string().startsWith('/').describe('The exact request path, e.g. /traffic/switch'),
  failTimes: z.number().int().min(0).optional().describe('Answer `status` to the first N matching requests, then normally'),
  alwaysFail: z.boolean().optional().describe('Answer `status` to every matching request'),
  status: z.number().int().min(400).max(599).default(503).describe('The status of an injected failure'),
  delayMs: z.number().int().min(0).max(600_000).optional().describe('Wait this long before answering'),
});
/** What a caller writes (`status` may be left out). */
export type BehaviourInput = z.input<typeof BehaviourSchema>;
export type Behaviour = z.output<typeof BehaviourSchema>;

/** What happens to one request. */
export interface Verdict {
  delayMs: number;
  /** The injected failure status, when this request fails on purpose. */
  failWith?: number | undefined;
}

interface Armed {
  behaviour: Behaviour;
  failed: number;
}

const matches = (behaviour: Behaviour, method: string, path: string): boolean =>
  behaviour.path === path && (behaviour.method === undefined || behaviour.method === method);

function problem(error: z.ZodError, where: string): Error {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  return new Error(`${where}${path}: ${issue?.message ?? 'invalid'}`, { cause: error });
}

/** Parses a list of behaviours, naming the field of the first problem (`behaviours[1].status: …`). */
export function parseBehaviours(input: unknown, where = 'behaviours'): Behaviour[] {
  const parsed = z.array(BehaviourSchema).safeParse(input);
  if (!parsed.success) throw problem(parsed.error, where);
  return parsed.data;
}

/** Parses one behaviour, naming the field of the first problem (`behaviour.path: …`). */
export function parseBehaviour(input: unknown, where = 'behaviour'): Behaviour {
  const parsed = BehaviourSchema.safeParse(input);
  if (!parsed.success) throw problem(parsed.error, where);
  return parsed.data;
}

export class Behaviours {
  private armed: Armed[] = [];

  constructor(initial: readonly Behaviour[] = []) {
    this.replace(initial);
  }

  /** Forgets the current behaviours (and their counters) and arms `behaviours`. */
  replace(behaviours: readonly Behaviour[]): void {
    this.armed = behaviours.map((behaviour) => ({ behaviour, failed: 0 }));
  }

  add(behaviour: Behaviour): void {
    this.armed.push({ behaviour, failed: 0 });
  }

  list(): Behaviour[] {
    return this.armed.map((armed) => armed.behaviour);
  }

  /** Decides for one request, counting an injected failure against `failTimes`. */
  decide(method: string, path: string): Verdict {
    const armed = this.armed.find((candidate) => matches(candidate.behaviour, method, path));
    if (armed === undefined) return { delayMs: 0 };
    const { behaviour } = armed;
    const delayMs = behaviour.delayMs ?? 0;
    if (behaviour.alwaysFail === true) return { delayMs, failWith: behaviour.status };
    if (armed.failed < (behaviour.failTimes ?? 0)) {
      armed.failed += 1;
      return { delayMs, failWith: behaviour.status };
    }
    return { delayMs };
  }
}
