/** DRWorkflow: how to fail one application over — an ordered list of actions with retries and rollbacks. */
import { byName, RULES_KEY, type CelRule } from './rules.js';
import { z } from 'zod';
import {
  ConditionsSchema,
  DurationSchema,
  FREE_FORM,
  int32,
  int64,
  LIMITS,
  MultiplierSchema,
  NamespacedRefSchema,
  ObjectMetaSchema,
  ParameterSchema,
} from './common.js';
import { LocalizationSpecSchema, SubscriptionSpecSchema } from './clusternet.js';

export const ActionTypes = ['HTTP', 'Job', 'Localization', 'Subscription', 'KubernetesResource'] as const;
export const ActionTypeSchema = z.enum(ActionTypes);
export type ActionType = z.infer<typeof ActionTypeSchema>;

export const HTTPMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const SecretKeySelectorSchema = z
  .strictObject({
    name: z.string().min(1).describe("Name of the Secret, in the workflow's namespace"),
    key: z.string().min(1).describe('Key of the value in the Secret'),
  })
  .describe('SecretKeySelector names one value of a Secret');

export const HeaderFromSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name is the header'),
    secretKeyRef: SecretKeySelectorSchema.describe("SecretKeyRef is where the header's value is read, when the request is sent"),
    prefix: z.string().optional().describe('Prefix goes before the value, e.g. "Bearer "'),
  })
  .describe(
    "HeaderFrom is a header whose value is read from a Secret when the request is sent, with the plan's ServiceAccount; it is never rendered into the execution's status",
  );

export const HTTPActionSchema = z
  .strictObject({
    url: z.string().min(1).describe('URL is the request URL'),
    method: z.enum(HTTPMethods).default('GET').describe('Method is the HTTP method'),
    headers: z.record(z.string(), z.string()).optional().describe('Headers are the request headers'),
    headersFrom: z
      .array(HeaderFromSchema)
      .optional()
      .describe('HeadersFrom are headers whose values come from Secrets (tokens, API keys): read at send time, never stored in the status'),
    body: z.string().max(LIMITS.textBytes).optional().describe('Body is the request body'),
    successCodes: z.array(z.number().int()).optional().describe('SuccessCodes are the status codes that count as success (default: any 2xx)'),
    insecureSkipVerify: z.boolean().optional().describe('InsecureSkipVerify skips TLS certificate verification'),
    recordResponseBody: z
      .boolean()
      .optional()
      .describe(
        "RecordResponseBody records the start of the response body in the action's outputs (HTTP_BODY_LIMIT characters; in a JSON body the values of keys that look secret are redacted); off by default: only the status code is recorded",
      ),
    dryRun: z
      .strictObject({
        url: z.string().min(1).optional().describe("URL is what a dry run requests instead (default: the action's own URL)"),
        method: z.enum(HTTPMethods).default('GET').describe('Method is the dry run request method (default GET)'),
        successCodes: z.array(z.number().int()).optional().describe('SuccessCodes are the status codes that count as success (default: any 2xx)'),
      })
      .optional()
      .describe(
        'DryRun is the request a dry run sends instead of this one (a health or readiness URL); without it a dry run sends nothing for this action and says what it would have sent',
      ),
  })
  .describe('HTTPAction defines an HTTP request action');
export type HTTPAction = z.infer<typeof HTTPActionSchema>;

const ContainerSchema = z.looseObject({
  name: z.string().min(1),
  image: z.string().min(1),
});

/**
 * A batch/v1 JobTemplateSpec. Only what drplan relies on is checked here (a pod template with at least
 * one container); the rest is the Job API's own data and is validated by the API server when the Job
 * is created.
 */
export const JobTemplateSchema = z
  .looseObject({
    metadata: z.looseObject({}).optional(),
    spec: z.looseObject({
      template: z.looseObject({
        metadata: z.looseObject({}).optional(),
        spec: z.looseObject({
          containers: z.array(ContainerSchema).min(1, { message: 'a Job needs at least one container' }),
        }),
      }),
    }),
  })
  .meta(FREE_FORM)
  .describe('Template is the Job template (batch/v1 JobTemplateSpec)');

export const JobActionSchema = z
  .strictObject({
    namespace: z.string().optional().describe('Namespace is the namespace to create the Job in (default: the workflow namespace)'),
    template: JobTemplateSchema,
    ttlSecondsAfterFinished: int32().optional().describe('TTLSecondsAfterFinished cleans up finished Jobs'),
  })
  .describe('JobAction defines a Kubernetes Job action');

const operation = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .enum(values)
    .default(values[0])
    .describe(`Operation is the operation: ${values.join(', ')}`);

export const LocalizationActionSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name is the Localization name'),
    namespace: z.string().min(1).describe('Namespace is the Localization namespace (the ManagedCluster namespace)'),
    operation: operation(['Create', 'Patch', 'Delete'] as const),
    spec: LocalizationSpecSchema.optional().describe('Spec is the Clusternet Localization spec'),
  })
  .describe('LocalizationAction defines a Clusternet Localization action');

export const SubscriptionActionSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name is the Subscription name'),
    namespace: z.string().optional().describe('Namespace is the Subscription namespace'),
    operation: operation(['Create', 'Patch', 'Delete'] as const),
    spec: SubscriptionSpecSchema.optional().describe('Spec is the Clusternet Subscription spec'),
  })
  .describe('SubscriptionAction defines a Clusternet Subscription action');

export const KubernetesResourceActionSchema = z
  .strictObject({
    manifest: z.string().min(1).max(LIMITS.textBytes).describe('Manifest is the YAML manifest of the resource'),
    operation: operation(['Create', 'Apply', 'Patch', 'Delete'] as const),
    stateFrom: z
      .strictObject({
        name: z.string().min(1).describe('Name of the Secret'),
        namespace: z.string().min(1).describe('Namespace of the Secret'),
        key: z.string().min(1).describe('Key of the value in the Secret'),
      })
      .optional()
      .describe(
        "StateFrom (Apply only; written by drplan's automatic rollbacks) reads the object's whole state from this Secret when the action runs, where drplan kept a Secret's prior state; `manifest` then only names the object",
      ),
  })
  .describe('KubernetesResourceAction defines a generic Kubernetes resource action');

export const RetryPolicySchema = z
  .strictObject({
    limit: int32().min(0).default(3).describe('Limit is the maximum number of retries'),
    interval: DurationSchema.default('5s').describe('Interval is the wait before the first retry'),
    backoffMultiplier: MultiplierSchema.default('2.0').describe('BackoffMultiplier multiplies the interval after each retry (a string, e.g. "2.0")'),
  })
  .describe('RetryPolicy defines the retry policy');
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

const actionFields = {
  type: ActionTypeSchema.describe('Type is the action type'),
  timeout: DurationSchema.default('5m').describe('Timeout is the action timeout (Go duration)'),
  retryPolicy: RetryPolicySchema.optional(),
  when: z.string().optional().describe('When is a condition; after rendering, "false", "0" or "" skips the action'),
  dependsOn: z.array(z.string()).optional().describe('DependsOn lists earlier actions of this workflow that must succeed first'),
  http: HTTPActionSchema.optional(),
  job: JobActionSchema.optional(),
  localization: LocalizationActionSchema.optional(),
  subscription: SubscriptionActionSchema.optional(),
  resource: KubernetesResourceActionSchema.optional(),
};

export interface RollbackAction {
  name?: string | undefined;
  type: ActionType;
  timeout: string;
  retryPolicy?: RetryPolicy | undefined;
  when?: string | undefined;
  dependsOn?: string[] | undefined;
  http?: z.infer<typeof HTTPActionSchema> | undefined;
  job?: z.infer<typeof JobActionSchema> | undefined;
  localization?: z.infer<typeof LocalizationActionSchema> | undefined;
  subscription?: z.infer<typeof SubscriptionActionSchema> | undefined;
  resource?: z.infer<typeof KubernetesResourceActionSchema> | undefined;
  rollback?: RollbackAction | undefined;
}

/** A custom rollback is an action of any type (its name is optional); it may carry its own rollback. */
export const RollbackActionSchema: z.ZodType<RollbackAction> = z.lazy(() =>
  z.strictObject({
    name: z.string().min(1).optional(),
    ...actionFields,
    rollback: RollbackActionSchema.optional(),
  }),
);

/** The config field of each action type. */
const CONFIG_FIELD = { HTTP: 'http', Job: 'job', KubernetesResource: 'resource', Localization: 'localization', Subscription: 'subscription' } as const;

/** What the API server checks of an action: the config its type needs (and no other), a rollback where one is needed, a name fit for a path. */
export const ACTION_RULES: readonly CelRule[] = [
  ...Object.entries(CONFIG_FIELD).flatMap(([type, field]): CelRule[] => [
    {
      rule: `self.type != '${type}' || has(self.${field})`,
      message: `${field} is required when type is ${type}`,
      fieldPath: `.${field}`,
      reason: 'FieldValueRequired',
    },
    {
      rule: `self.type == '${type}' || !has(self.${field})`,
      message: `${field} is not allowed unless type is ${type}`,
      fieldPath: `.${field}`,
      reason: 'FieldValueForbidden',
    },
  ]),
  {
    rule: `has(self.rollback) || (has(self.revertPolicy) && self.revertPolicy == 'Ignore') || !((has(self.resource) && (self.resource.operation == 'Patch' || self.resource.operation == 'Apply')) || (has(self.localization) && self.localization.operation == 'Patch') || (has(self.subscription) && self.subscription.operation == 'Patch'))`,
    message: 'a rollback is required for a Patch (and a KubernetesResource Apply): its change cannot be undone automatically; or set revertPolicy: Ignore',
    fieldPath: '.rollback',
    reason: 'FieldValueRequired',
  },
  {
    rule: `!has(self.rollback) || !has(self.revertPolicy) || self.revertPolicy != 'Ignore'`,
    message: 'never runs: revertPolicy is Ignore (remove one of the two)',
    fieldPath: '.rollback',
    reason: 'FieldValueForbidden',
  },
  { rule: `!self.name.contains('/')`, message: 'must not contain "/": it separates the parts of an action path', fieldPath: '.name' },
];

export const ActionSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name is the unique action name within the workflow'),
    ...actionFields,
    rollback: RollbackActionSchema.optional().meta(FREE_FORM).describe('Rollback defines custom rollback action'),
    revertPolicy: z
      .enum(['Undo', 'Ignore'])
      .optional()
      .describe(
        'RevertPolicy: Undo (absent) has a Revert undo what the action may have done, by its rollback or automatically, and report an effect it cannot undo; Ignore leaves its effect as it is (a notification)',
      ),
  })
  .describe('Action defines a single action in a workflow')
  .meta({ [RULES_KEY]: ACTION_RULES });
export type Action = z.infer<typeof ActionSchema>;

export const WorkflowFailurePolicySchema = z.enum(['FailFast', 'Continue']);

export const ExecutorSchema = z
  .strictObject({
    type: z.enum(['Native', 'Argo']).default('Native').describe('Type is the executor type (only Native runs in drplan-functions)'),
    argoOptions: z
      .strictObject({
        namespace: z.string().optional(),
        serviceAccountName: z.string().optional(),
        ttlStrategy: z
          .strictObject({
            secondsAfterCompletion: int32().optional(),
            secondsAfterFailure: int32().optional(),
            secondsAfterSuccess: int32().optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .describe('Executor selects the workflow engine');

export const DRWorkflowSpecSchema = z
  .strictObject({
    actions: z.array(ActionSchema).min(1).max(LIMITS.actionsPerWorkflow).meta(byName).describe('Actions are executed in order'),
    executor: ExecutorSchema.optional(),
    failurePolicy: WorkflowFailurePolicySchema.default('FailFast').describe('FailurePolicy: FailFast stops at the first failed action, Continue runs the rest'),
    parameters: z.array(ParameterSchema).max(LIMITS.parameters).meta(byName).optional().describe('Parameters declares the parameters the actions may use'),
    shareWithNamespaces: z
      .array(z.string().min(1).max(63))
      .optional()
      .describe(
        'ShareWithNamespaces lists the namespaces whose DRPlans may use this workflow ("*": every namespace); a plan of another namespace is Invalid without it. The plan\'s own namespace needs no entry',
      ),
  })
  .describe('spec defines the desired state of DRWorkflow');
export type DRWorkflowSpec = z.infer<typeof DRWorkflowSpecSchema>;

export const WorkflowPhaseSchema = z.enum(['Ready', 'Invalid']);

export const DRWorkflowStatusSchema = z
  .object({
    conditions: ConditionsSchema.optional().describe('Conditions represent the current state of the DRWorkflow'),
    observedGeneration: int64().optional().describe('ObservedGeneration is the generation last validated'),
    phase: WorkflowPhaseSchema.optional().describe('Phase is the workflow phase: Ready, Invalid'),
    referencedBy: z.array(NamespacedRefSchema).optional().describe('ReferencedBy lists the plans that use this workflow (they hold its deletion)'),
  })
  .describe('status defines the observed state of DRWorkflow');
export type DRWorkflowStatus = z.infer<typeof DRWorkflowStatusSchema>;

export const DRWorkflowSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: DRWorkflowSpecSchema,
  status: DRWorkflowStatusSchema.optional(),
});
export type DRWorkflow = z.infer<typeof DRWorkflowSchema>;
