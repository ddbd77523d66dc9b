/**
 * Fault injection, for tests: a chosen fraction of writes is answered `409 Conflict` and not applied,
 * as a real server answers a write carrying a stale resourceVersion. Clients that follow the
 * read-decide-write discipline must survive it; the counters tell a test that the faults happened.
 *
 * Only updates (PUT) and patches of objects that exist are eligible: that is where a real server can
 * answer Conflict (a create collides as AlreadyExists, which would claim an object that is not there).
 * Reads and watches are never touched, nor the server's own clients (the simulated Job controller,
 * recognised by its User-Agent), nor what the server does by itself (garbage collection, deletion).
 */
import { z } from 'zod';
import { conflict, type ApiError, type ResourceName } from './errors.js';
import { seededRandom } from '../seeded-random.js';

/** The User-Agent prefix of the API server's own clients; their writes never get a fault. */
export const INTERNAL_USER_AGENT = 'drplan-local-apiserver/';

export const FAULT_VERBS = ['update', 'patch'] as const;
export type FaultVerb = (typeof FAULT_VERBS)[number];

/** `''` is the object itself (as in an AdmissionReview's `subResource`), `'status'` its status subresource. */
export const FAULT_SUBRESOURCES = ['', 'status'] as const;
export type FaultSubresource = (typeof FAULT_SUBRESOURCES)[number];

export const ConflictFaultsSchema = z.strictObject({
  /** The fraction (0 to 1) of eligible writes answered 409 Conflict. */
  conflictRatio: z.number().min(0).max(1),
  /** Which verbs are eligible; default both. */
  verbs: z.array(z.enum(FAULT_VERBS)).min(1).optional(),
  /** Plural resource names (`drplans`) or qualified ones (`drplans.dr.bkbcs.tencent.com`); default every resource. */
  resources: z.array(z.string().min(1)).min(1).optional(),
  /** Writes to the object (`''`), to its status (`'status'`), or (default) both. */
  subresources: z.array(z.enum(FAULT_SUBRESOURCES)).min(1).optional(),
  /** Makes the choice of writes repeatable: the same sequence of eligible writes gets the same faults. */
  seed: z.number().int().optional(),
});
export type ConflictFaults = z.infer<typeof ConflictFaultsSchema>;

/** One write, as the fault injector sees it. */
export interface WriteRequest {
  verb: FaultVerb;
  resource: ResourceName;
  subresource: FaultSubresource;
  namespace: string;
  name: string;
  userAgent: string | undefined;
}

/** A write that was answered with an injected 409. */
export interface FaultInjection {
  verb: FaultVerb;
  /** `plural` for the core group, else `plural.group`. */
  resource: string;
  subresource: FaultSubresource;
  namespace: string;
  name: string;
}

export interface FaultCounts {
  /** Writes that fitted the settings in force (the ones that could get a fault). */
  eligible: number;
  /** Writes answered with an injected 409. */
  injected: number;
}

/** What tests hold: `apiServer.faults`. Counters add up from the server's start; `set` and `clear` keep them. */
export interface ApiServerFaults {
  /** Starts (or changes) injecting; throws naming the setting that is invalid. */
  set(settings: ConflictFaults): void;
  /** Stops injecting. */
  clear(): void;
  counts(): FaultCounts;
  injections(): FaultInjection[];
}

/** The server's side: the injected error for a write, or undefined to let it through. */
export interface FaultInjector extends ApiServerFaults {
  conflictFor(request: WriteRequest): ApiError | undefined;
}

const qualified = (resource: ResourceName): string => (resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`);

/** The settings checked; the error names the field (`faults.conflictRatio: …`). */
export function parseConflictFaults(settings: unknown): ConflictFaults {
  const parsed = ConflictFaultsSchema.safeParse(settings);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `faults${issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('')}: ${issue.message}`,
  );
  throw new Error(`invalid fault settings: ${problems.join('; ')}`);
}

function eligible(settings: ConflictFaults, request: WriteRequest): boolean {
  if (request.userAgent?.startsWith(INTERNAL_USER_AGENT) === true) return false;
  if (settings.verbs !== undefined && !settings.verbs.includes(request.verb)) return false;
  if (settings.subresources !== undefined && !settings.subresources.includes(request.subresource)) return false;
  const names = [request.resource.plural, qualified(request.resource)];
  return settings.resources === undefined || settings.resources.some((resource) => names.includes(resource));
}

export function faultInjector(initial?: ConflictFaults): FaultInjector {
  let active: { settings: ConflictFaults; random: () => number } | undefined;
  const injections: FaultInjection[] = [];
  let eligibleWrites = 0;
  const set = (settings: ConflictFaults): void => {
    const checked = parseConflictFaults(settings);
    active = { settings: checked, random: checked.seed === undefined ? Math.random : seededRandom(checked.seed) };
  };
  if (initial !== undefined) set(initial);
  return {
    set,
    clear: () => {
      active = undefined;
    },
    counts: () => ({ eligible: eligibleWrites, injected: injections.length }),
    injections: () => injections.map((injection) => ({ ...injection })),
    conflictFor: (request) => {
      if (active === undefined || !eligible(active.settings, request)) return undefined;
      eligibleWrites += 1;
      if (active.random() >= active.settings.conflictRatio) return undefined;
      const { verb, subresource, namespace, name } = request;
      injections.push({ verb, resource: qualified(request.resource), subresource, namespace, name });
      return conflict(request.resource, name);
    },
  };
}
