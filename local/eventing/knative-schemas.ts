/**
 * The part of Knative's API that the local eventing plays: Broker, Trigger, ApiServerSource,
 * PingSource (eventing) and Service (serving), in their upstream shapes (fields we do not use pass
 * through unchecked, as `x-kubernetes-preserve-unknown-fields` lets them). Checks that the upstream
 * webhooks make and that the local stack relies on are here too, so a bad manifest fails with the
 * field named instead of misrouting events.
 */
import { z } from 'zod';
import { parseCron } from './cron.js';
import { parseIsoDuration } from './durations.js';

const name = z.string().min(1, 'must not be empty');

const MetadataSchema = z.looseObject({
  name,
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const isoDuration = z.string().refine((text) => parseIsoDuration(text) !== undefined, { message: 'must be an ISO-8601 duration such as PT0.2S or PT1M' });

export const KReferenceSchema = z.looseObject({
  apiVersion: z.string().min(1, 'must not be empty'),
  kind: z.string().min(1, 'must not be empty'),
  name,
  namespace: z.string().min(1).optional(),
});
export type KReference = z.infer<typeof KReferenceSchema>;

export const DestinationSchema = z
  .looseObject({ ref: KReferenceSchema.optional(), uri: z.string().min(1).optional() })
  .refine((d) => d.ref !== undefined || d.uri !== undefined, { message: 'needs ref or uri' });
export type Destination = z.infer<typeof DestinationSchema>;

export const DeliverySpecSchema = z.looseObject({
  retry: z.number().int().min(0).optional(),
  backoffPolicy: z.enum(['linear', 'exponential']).optional(),
  backoffDelay: isoDuration.optional(),
  deadLetterSink: DestinationSchema.optional(),
  timeout: isoDuration.optional(),
  retryAfterMax: isoDuration.optional(),
  format: z.enum(['json', 'binary']).optional(),
});
export type DeliverySpec = z.infer<typeof DeliverySpecSchema>;

export const BrokerSchema = z.looseObject({
  apiVersion: z.literal('eventing.knative.dev/v1'),
  kind: z.literal('Broker'),
  metadata: MetadataSchema,
  spec: z.looseObject({ delivery: DeliverySpecSchema.optional() }).optional(),
});
export type Broker = z.infer<typeof BrokerSchema>;

/** One of Knative's subscriptions-API filter dialects (`cesql` is recognised to be refused). */
export interface Filter {
  exact?: Record<string, string> | undefined;
  prefix?: Record<string, string> | undefined;
  suffix?: Record<string, string> | undefined;
  all?: Filter[] | undefined;
  any?: Filter[] | undefined;
  not?: Filter | undefined;
  cesql?: string | undefined;
}

export const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;

const ATTRIBUTE_NAME = /^[a-z][a-z0-9]*$/;

/** Knative's webhook: attribute names start with a letter and hold lowercase letters and digits only. */
const attributeNames = (map: Record<string, string>, context: z.RefinementCtx): void => {
  for (const key of Object.keys(map)) {
    if (!ATTRIBUTE_NAME.test(key))
      context.addIssue({ code: 'custom', path: [key], message: 'attribute names start with a letter and hold lowercase letters and digits only' });
  }
};

/**
 * The map of exact/prefix/suffix: Knative's webhook allows one attribute per filter ("Multiple items
 * found, can have only one key-value"): several conditions are several filters (the list is ANDed) or
 * an `all`. An empty value would make the filter fail to build at run time, so it is refused here.
 */
const attributeMap = z
  .record(z.string(), z.string().min(1, 'must not be empty'))
  .superRefine(attributeNames)
  .refine((map) => Object.keys(map).length <= 1, {
    message: 'Multiple items found, can have only one key-value (use one filter per attribute, or all: [...])',
  });

/** Whether a dialect is set: an empty map or list counts as unset, as in Knative's webhook. */
function hasDialect(filter: Filter, dialect: (typeof DIALECTS)[number]): boolean {
  const value = filter[dialect];
  if (value === undefined) return false;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  return dialect === 'not' || Object.keys(value).length > 0;
}

const dialectsOf = (filter: Filter): string[] => DIALECTS.filter((dialect) => hasDialect(filter, dialect));

/** A filter with no dialect matches everything, as in Knative; two dialects in one filter are refused. */
export const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z
    .strictObject({
      exact: attributeMap.optional(),
      prefix: attributeMap.optional(),
      suffix: attributeMap.optional(),
      all: z.array(FilterSchema).optional(),
      any: z.array(FilterSchema).optional(),
      not: FilterSchema.optional(),
      cesql: z.string().optional(),
    })
    .superRefine((filter, context) => {
      if (dialectsOf(filter).length > 1)
        context.addIssue({ code: 'custom', message: `multiple dialects found (${dialectsOf(filter).join(', ')}), filters can have only one dialect set` });
      if ((filter.cesql ?? '') !== '')
        context.addIssue({
          code: 'custom',
          path: ['cesql'],
          message: 'CESQL filters are not played by the local eventing; use exact, prefix, suffix, all, any or not',
        });
    }),
);

export const TriggerSchema = z.looseObject({
  apiVersion: z.literal('eventing.knative.dev/v1'),
  kind: z.literal('Trigger'),
  metadata: MetadataSchema,
  spec: z
    .looseObject({
      broker: z.string().min(1).optional(),
      brokerRef: z.looseObject({ name, namespace: z.string().min(1).optional() }).optional(),
      filter: z.looseObject({ attributes: z.record(z.string(), z.string()).superRefine(attributeNames).optional() }).optional(),
      filters: z.array(FilterSchema).optional(),
      subscriber: DestinationSchema,
      delivery: DeliverySpecSchema.optional(),
    })
    .refine((spec) => spec.broker !== undefined || spec.brokerRef !== undefined, { message: 'needs broker or brokerRef' }),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const LabelSelectorSchema = z.looseObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.looseObject({ key: name, operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

const CeOverridesSchema = z.looseObject({
  extensions: z
    .record(z.string(), z.string())
    .superRefine((map, context) => {
      for (const key of Object.keys(map))
        if (!/^[a-z0-9]+$/.test(key)) context.addIssue({ code: 'custom', path: [key], message: 'extension names are lowercase letters and digits only' });
    })
    .optional(),
});

export const ApiServerSourceSchema = z.looseObject({
  apiVersion: z.literal('sources.knative.dev/v1'),
  kind: z.literal('ApiServerSource'),
  metadata: MetadataSchema,
  spec: z.looseObject({
    mode: z.enum(['Reference', 'Ref', 'Resource']).optional(),
    resources: z
      .array(z.looseObject({ apiVersion: z.string().min(1), kind: z.string().min(1), selector: LabelSelectorSchema.optional() }))
      .min(1, 'must list at least one resource'),
    owner: z
      .unknown()
      .refine((owner) => owner === undefined, { message: 'spec.owner is not played by the local eventing' })
      .optional(),
    serviceAccountName: z.string().optional(),
    sink: DestinationSchema,
    ceOverrides: CeOverridesSchema.optional(),
    namespaceSelector: LabelSelectorSchema.optional(),
  }),
});
export type ApiServerSource = z.infer<typeof ApiServerSourceSchema>;

export const PingSourceSchema = z.looseObject({
  apiVersion: z.literal('sources.knative.dev/v1'),
  kind: z.literal('PingSource'),
  metadata: MetadataSchema,
  spec: z
    .looseObject({
      schedule: z.string().min(1, 'must not be empty'),
      timezone: z.string().min(1).optional(),
      contentType: z.string().optional(),
      data: z.string().optional(),
      dataBase64: z.string().optional(),
      sink: DestinationSchema,
      ceOverrides: CeOverridesSchema.optional(),
    })
    .refine((spec) => spec.data === undefined || spec.dataBase64 === undefined, { message: 'data and dataBase64 are mutually exclusive' })
    .superRefine((spec, context) => {
      try {
        parseCron(spec.schedule, spec.timezone);
      } catch (error: unknown) {
        context.addIssue({ code: 'custom', path: ['schedule'], message: error instanceof Error ? error.message : String(error) });
      }
    }),
});
export type PingSource = z.infer<typeof PingSourceSchema>;

const EnvVarSchema = z.looseObject({ name, value: z.string().optional(), valueFrom: z.unknown().optional() });
export type EnvVar = z.infer<typeof EnvVarSchema>;

export const KnativeServiceSchema = z.looseObject({
  apiVersion: z.literal('serving.knative.dev/v1'),
  kind: z.literal('Service'),
  metadata: MetadataSchema,
  spec: z.looseObject({
    template: z.looseObject({
      metadata: z.looseObject({ annotations: z.record(z.string(), z.string()).optional(), labels: z.record(z.string(), z.string()).optional() }).optional(),
      spec: z.looseObject({
        containers: z.array(z.looseObject({ image: z.string().optional(), env: z.array(EnvVarSchema).optional() })).min(1, 'must have a container'),
        serviceAccountName: z.string().optional(),
        containerConcurrency: z.number().int().min(0).optional(),
      }),
    }),
  }),
});
export type KnativeService = z.infer<typeof KnativeServiceSchema>;
