/**
 * Rules the API server itself enforces at `kubectl apply`, written beside the zod schemas they belong to
 * and carried into the generated CRDs: CEL validation rules (`x-kubernetes-validations`) and list types.
 * The local API server and `drplan lint` evaluate the same rules from the same CRDs (shared/cel/), so an
 * object one refuses, the other refuses too.
 */
import type { z } from 'zod';

/** One `x-kubernetes-validations` entry (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelRule {
  /** The CEL expression; `self` is the value of the node the rule sits on, `oldSelf` its stored value (a transition rule). */
  rule: string;
  message?: string;
  messageExpression?: string;
  /** The field the failure is reported on, relative to the node (`.revertExecutionRef`). */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

export const RULES_KEY = 'x-kubernetes-validations';

/** The schema with `rules` enforced by the API server (added to any it already has). */
export function withRules<T extends z.ZodType>(schema: T, rules: readonly CelRule[]): T {
  return schema.meta({ [RULES_KEY]: rules });
}

/** A list whose items are identified by `name`: the API server refuses two items of one name (and merges by it). */
export const byName = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } as const;

/** A Go duration as `time.ParseDuration` reads it (the zod side: duration.ts), as a CEL pattern; `μs` is written `us` here. */
const DURATION_PATTERN = String.raw`^[+]?(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|ms|s|m|h))+$`;

/** Durations: a Go duration such as 10s, 5m or 1h30m, at most a week. */
export const DURATION_RULES: readonly CelRule[] = [
  { rule: `self == '0' || self.matches('${DURATION_PATTERN}')`, message: 'must be a Go duration such as 10s, 5m or 1h30m' },
  { rule: `!self.matches('${DURATION_PATTERN}') || duration(self) <= duration('168h')`, message: 'must be at most 168h (a week)' },
];
