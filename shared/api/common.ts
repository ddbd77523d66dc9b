/** Schema pieces shared by the three kinds: parameters, references, conditions, metadata. */
import { z } from 'zod';
import { isDuration, parseDuration, parseMultiplier } from './duration.js';
import { DURATION_RULES, withRules } from './rules.js';

/**
 * Marks a node as free-form data in the generated CRD (`x-kubernetes-preserve-unknown-fields`), while
 * zod still validates it. Used where the original CRD was free-form or where the data is another API's.
 */
export const FREE_FORM = { 'x-drplan-free-form': true } as const;

export const int32 = (): z.ZodNumber => z.number().int().min(-2147483648).max(2147483647).meta({ format: 'int32' });
export const int64 = (): z.ZodNumber => z.number().int().meta({ format: 'int64' });
export const dateTime = (): z.ZodString => z.string().meta({ format: 'date-time' });

/**
 * The longest duration any field takes: a week. Longer ones are refused where they are written, not
 * discovered when a timer cannot hold them (Node's timers stop at about 596 hours).
 */
/**
 * Hard limits on what one object may hold, enforced by the schema (and so at \`kubectl apply\` by the
 * CRDs): an execution's status holds every action of its plan, and the API server stores objects up to
 * 1.5 MiB; every check on user input stays bounded.
 */
export const LIMITS = {
  actionsPerWorkflow: 500,
  stages: 100,
  /** Stages one stage may depend on (the CRD's dependsOn rule compares each with every stage: its cost stays in the API server's budget). */
  dependsOn: 20,
  workflowsPerStage: 100,
  parameters: 100,
  /** A manifest or a request body, in characters. */
  textBytes: 256 * 1024,
  /** Actions one execution may run (the sum over its stages' workflows): its status must fit in an object. */
  actionsPerPlan: 1500,
} as const;

export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

export const DurationSchema = withRules(
  z
    .string()
    .max(64)
    .refine(isDuration, { message: 'must be a Go duration such as 10s, 5m or 1h30m' })
    .refine((text) => (parseDuration(text) ?? 0) <= MAX_DURATION_MS, { message: 'must be at most 168h (a week)' }),
  DURATION_RULES,
);

/** What a plan promises: the recovery time objective its executions are measured against. */
export const ObjectivesSchema = z
  .strictObject({
    rto: DurationSchema.optional().describe(
      'RTO is the recovery time objective: an execution that takes longer (start to end) gets the condition ObjectiveMet=False and a Warning Event',
    ),
  })
  .describe('Objectives are what executions of the plan are measured against (drplan report)');
export type Objectives = z.infer<typeof ObjectivesSchema>;

export const MultiplierSchema = z
  .string()
  .refine((v) => parseMultiplier(v) !== undefined, { message: 'must be a decimal number ≥ 1.0 written as a string, e.g. "2.0"' });

/** A ServiceAccount's name: a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters). */
export const ServiceAccountNameSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS-1123 subdomain: lowercase letters, digits, "-" and "."');

export const ParameterTypeSchema = z.enum(['string', 'number', 'boolean']);
export type ParameterType = z.infer<typeof ParameterTypeSchema>;

export const ParameterSchema = z
  .strictObject({
    name: z.string().describe('Name is the parameter name'),
    type: ParameterTypeSchema.default('string').describe('Type is the parameter type: string (default), number, boolean'),
    description: z.string().optional().describe('Description is the parameter description'),
    required: z.boolean().optional().describe('Required indicates if the parameter is required'),
    default: z.string().optional().describe('Default is the default value (used when Value is not set)'),
    value: z.string().optional().describe('Value is the explicit value to use. Takes precedence over Default when both set.'),
  })
  .describe('Parameter defines a parameter with name, type, and value/default');
export type Parameter = z.infer<typeof ParameterSchema>;

export const NamespacedRefSchema = z
  .strictObject({
    name: z.string().describe('Name is the object name'),
    namespace: z.string().optional().describe('Namespace is the object namespace'),
  })
  .describe('A reference to an object by name and namespace');
export type NamespacedRef = z.infer<typeof NamespacedRefSchema>;

/** corev1.ObjectReference, as the original records created objects. */
export const ObjectReferenceSchema = z
  .strictObject({
    apiVersion: z.string().optional().describe('API version of the referent.'),
    fieldPath: z.string().optional().describe('If referring to a piece of an object instead of an entire object, the field path.'),
    kind: z.string().optional().describe('Kind of the referent.'),
    name: z.string().optional().describe('Name of the referent.'),
    namespace: z.string().optional().describe('Namespace of the referent.'),
    resourceVersion: z.string().optional().describe('Specific resourceVersion to which this reference is made, if any.'),
    uid: z.string().optional().describe('UID of the referent.'),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' });
export type ObjectReference = z.infer<typeof ObjectReferenceSchema>;

export const ConditionSchema = z
  .strictObject({
    type: z
      .string()
      .max(316)
      .regex(new RegExp('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$'))
      .describe('type of condition in CamelCase or in foo.example.com/CamelCase.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('status of the condition, one of True, False, Unknown.'),
    observedGeneration: int64().min(0).optional().describe('the .metadata.generation that the condition was set based upon'),
    lastTransitionTime: dateTime().describe('the last time the condition transitioned from one status to another'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('a programmatic identifier indicating the reason for the last transition'),
    message: z.string().max(32768).describe('a human readable message indicating details about the transition'),
  })
  .describe('Condition contains details for one aspect of the current state of this API Resource.');
export type Condition = z.infer<typeof ConditionSchema>;

export const ConditionsSchema = z.array(ConditionSchema).meta({ 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map' });

/** The metadata every object carries; the API server owns most of it, so unknown keys pass through. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;
