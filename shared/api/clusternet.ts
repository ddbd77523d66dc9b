/**
 * Clusternet v0.18.1 `apps.clusternet.io/v1alpha1` Localization and Subscription specs, as the original
 * controller embedded them under `localization.spec` and `subscription.spec`.
 */
import { z } from 'zod';
import { int32, int64 } from './common.js';

const atomicList = { 'x-kubernetes-list-type': 'atomic' } as const;

export const FeedSchema = z.strictObject({
  apiVersion: z.string().describe('APIVersion defines the versioned schema of this representation of an object.'),
  kind: z.string().describe('Kind is a string value representing the REST resource this object represents.'),
  name: z.string().describe('Name of the target resource.'),
  namespace: z.string().optional().describe('Namespace of the target resource.'),
});

export const LocalizationSpecSchema = z.strictObject({
  feed: FeedSchema.optional().describe('Feed holds references to the objects the Localization applies to.'),
  overridePolicy: z.enum(['ApplyNow', 'ApplyLater']).default('ApplyLater').describe('OverridePolicy specifies the override policy for this Localization.'),
  overrides: z
    .array(
      z.strictObject({
        name: z.string().optional().describe('Name indicate the OverrideConfig name.'),
        overrideChart: z.boolean().optional().describe('OverrideChart indicates whether the override value for the HelmChart CR.'),
        type: z.enum(['Helm', 'JSONPatch', 'MergePatch']).describe('Type specifies the override type for override value.'),
        value: z.string().describe('Value is a YAML/JSON format patch that overrides values in current resource.'),
      }),
    )
    .optional()
    .describe('Overrides holds all the OverrideConfig.'),
  priority: int32().min(0).max(1000).default(500).describe('Priority is an integer defining the relative importance of this Localization.'),
});
export type LocalizationSpec = z.infer<typeof LocalizationSpecSchema>;

const RequirementSchema = z.strictObject({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).meta(atomicList).optional(),
});

const LabelSelectorSchema = z
  .strictObject({
    matchExpressions: z.array(RequirementSchema).meta(atomicList).optional(),
    matchLabels: z.record(z.string(), z.string()).optional(),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' });

const NodeSelectorTermSchema = z
  .strictObject({
    matchExpressions: z.array(RequirementSchema).meta(atomicList).optional(),
    matchFields: z.array(RequirementSchema).meta(atomicList).optional(),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' });

const TopologySpreadConstraintSchema = z.strictObject({
  labelSelector: LabelSelectorSchema.optional(),
  matchLabelKeys: z.array(z.string()).meta(atomicList).optional(),
  maxSkew: int32(),
  minDomains: int32().optional(),
  nodeAffinityPolicy: z.string().optional(),
  nodeTaintsPolicy: z.string().optional(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.string(),
});

const DividingSchedulingSchema = z.strictObject({
  dynamicDividing: z
    .strictObject({
      maxClusters: int32().optional(),
      minClusters: int32().optional(),
      preferredClusters: z.array(z.strictObject({ preference: NodeSelectorTermSchema, weight: int32() })).optional(),
      strategy: z.enum(['Spread', 'Binpack']).default('Spread'),
      topologySpreadConstraints: z.array(TopologySpreadConstraintSchema).optional(),
    })
    .optional(),
  type: z.enum(['Static', 'Dynamic']).default('Static'),
});

export const SubscriptionSpecSchema = z.strictObject({
  clusterTolerations: z
    .array(
      z.strictObject({
        effect: z.string().optional(),
        key: z.string().optional(),
        operator: z.string().optional(),
        tolerationSeconds: int64().optional(),
        value: z.string().optional(),
      }),
    )
    .optional()
    .describe('ClusterTolerations tolerates any matched taints of ManagedCluster.'),
  dividingScheduling: DividingSchedulingSchema.optional().describe('Dividing scheduling config params.'),
  feeds: z.array(FeedSchema).describe('Feeds'),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'PreemptNever']).default('PreemptLowerPriority'),
  priority: int32().optional(),
  schedulerName: z.string().default('default'),
  schedulingBySubGroup: z.boolean().optional(),
  schedulingStrategy: z.enum(['Replication', 'Dividing']).default('Replication'),
  subscribers: z
    .array(
      z.strictObject({
        clusterAffinity: LabelSelectorSchema,
        subGroupStrategy: z.strictObject({ minClusters: int32().min(0).optional() }).optional(),
        weight: int32().min(0).optional(),
      }),
    )
    .describe('Subscribers subscribes'),
});
export type SubscriptionSpec = z.infer<typeof SubscriptionSpecSchema>;
