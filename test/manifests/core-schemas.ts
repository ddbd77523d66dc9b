/**
 * The core Kubernetes kinds the manifests use, as strict zod schemas: the fields the API requires, the
 * value sets it accepts (RBAC verbs, subject kinds), and no field it does not know (a typo would be
 * dropped silently by a real server: `kubectl apply` only warns). Only what these manifests need.
 */
import { z } from 'zod';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const name = z.string().max(253).regex(DNS_SUBDOMAIN, 'a lowercase RFC 1123 subdomain');
const stringMap = z.record(z.string(), z.string());

const ClusterMetaSchema = z.strictObject({ name, labels: stringMap.optional(), annotations: stringMap.optional() });
const NamespacedMetaSchema = ClusterMetaSchema.extend({ namespace: name });

const v1 = <K extends string>(kind: K) => ({ apiVersion: z.literal('v1'), kind: z.literal(kind) });
const rbac = <K extends string>(kind: K) => ({ apiVersion: z.literal('rbac.authorization.k8s.io/v1'), kind: z.literal(kind) });

export const NamespaceSchema = z.strictObject({ ...v1('Namespace'), metadata: ClusterMetaSchema });

export const ServiceAccountSchema = z.strictObject({
  ...v1('ServiceAccount'),
  metadata: NamespacedMetaSchema,
  automountServiceAccountToken: z.boolean().optional(),
});

export const ConfigMapSchema = z.strictObject({ ...v1('ConfigMap'), metadata: NamespacedMetaSchema, data: stringMap.optional() });

const VerbSchema = z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate', 'bind', 'escalate', '*']);

const PolicyRuleSchema = z.strictObject({
  apiGroups: z.array(z.string()).min(1),
  resources: z.array(z.string().min(1)).min(1),
  verbs: z.array(VerbSchema).min(1),
  resourceNames: z.array(z.string()).optional(),
});

const LabelSelectorSchema = z.strictObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});

export const ClusterRoleSchema = z.strictObject({
  ...rbac('ClusterRole'),
  metadata: ClusterMetaSchema,
  rules: z.array(PolicyRuleSchema),
  aggregationRule: z.strictObject({ clusterRoleSelectors: z.array(LabelSelectorSchema).min(1) }).optional(),
});

export const ClusterRoleBindingSchema = z.strictObject({
  ...rbac('ClusterRoleBinding'),
  metadata: ClusterMetaSchema,
  roleRef: z.strictObject({ apiGroup: z.literal('rbac.authorization.k8s.io'), kind: z.literal('ClusterRole'), name }),
  subjects: z.array(z.strictObject({ kind: z.literal('ServiceAccount'), name, namespace: name })).min(1),
});

const NetworkPolicyPeerSchema = z.strictObject({ namespaceSelector: LabelSelectorSchema.optional(), podSelector: LabelSelectorSchema.optional() });

export const NetworkPolicySchema = z.strictObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: NamespacedMetaSchema,
  spec: z.strictObject({
    podSelector: LabelSelectorSchema,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z.array(z.strictObject({ from: z.array(NetworkPolicyPeerSchema).optional() })).optional(),
  }),
});

/** The generated CRDs are checked in depth by test/unit/api/crds.test.ts; here only their shape as objects. */
export const CustomResourceDefinitionSchema = z.looseObject({
  apiVersion: z.literal('apiextensions.k8s.io/v1'),
  kind: z.literal('CustomResourceDefinition'),
  metadata: z.looseObject({ name }),
  spec: z.looseObject({ group: z.string(), scope: z.enum(['Namespaced', 'Cluster']) }),
});

/** Kind → schema, for every core kind the manifests may contain. */
export const CoreSchemas: Readonly<Record<string, z.ZodType>> = {
  Namespace: NamespaceSchema,
  ServiceAccount: ServiceAccountSchema,
  ConfigMap: ConfigMapSchema,
  ClusterRole: ClusterRoleSchema,
  ClusterRoleBinding: ClusterRoleBindingSchema,
  CustomResourceDefinition: CustomResourceDefinitionSchema,
  NetworkPolicy: NetworkPolicySchema,
};

/** Whether objects of the kind live in a namespace. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

/** `metadata.name: a lowercase RFC 1123 subdomain` for each issue. */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
}
