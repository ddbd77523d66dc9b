/**
 * The labels and annotations that mark the Jobs and objects run-action creates, and the deterministic
 * Job name of an attempt. An attempt's identity is execution uid + action path + attempt number.
 *
 * Label values are limited to 63 characters, so labels carry label-safe forms (the execution name,
 * shortened with a hash when too long; a hash of the action path); the annotations carry the full
 * names, which is what a reader of a Job event uses to find its execution again.
 */
import { createHash } from 'node:crypto';
import { GROUP, Labels, MANAGER } from './api/constants.js';
import type { ObjectMeta } from './api/common.js';
import type { OperationType } from './api/plan.js';

export const OwnershipLabels = {
  managedBy: Labels.managedBy,
  /** The execution name, label-safe (shortened with a hash beyond 63 characters). */
  execution: Labels.execution,
  executionUid: `${GROUP}/execution-uid`,
  /** A hash of the action path (the path itself is in an annotation). */
  action: Labels.action,
  attempt: `${GROUP}/attempt`,
  operation: Labels.operation,
} as const;

export const OwnershipAnnotations = {
  executionName: `${GROUP}/execution-name`,
  executionNamespace: `${GROUP}/execution-namespace`,
  actionPath: `${GROUP}/action-path`,
  /** On a snapshot Secret: `namespace/name` of the Secret whose prior state it holds. */
  snapshotOf: `${GROUP}/snapshot-of`,
} as const;

/** The label selector of everything drplan creates (the Job ApiServerSource watches Jobs matching it). */
export const JOB_SELECTOR = `${Labels.managedBy}=${MANAGER}`;

/** One attempt of one action of one execution. */
export interface AttemptIdentity {
  execution: { name: string; namespace: string; uid: string };
  path: string;
  attempt: number;
  operationType?: OperationType | undefined;
}

const MAX_LABEL = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const hash = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length);

/** A DNS-1123 label fragment: lowercase alphanumerics and `-`, no leading or trailing `-`. */
function dnsFragment(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** `value` when it is a valid label value, else a shortened, sanitised form ending in a hash of the original. */
export function labelSafe(value: string): string {
  if (value.length <= MAX_LABEL && LABEL_VALUE.test(value)) return value;
  const suffix = hash(value, 8);
  const head = value
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_LABEL - suffix.length - 1)
    .replace(/[^A-Za-z0-9]+$/, '');
  return head === '' ? suffix : `${head}-${suffix}`;
}

/** The label value identifying an action path. */
export const actionLabel = (path: string): string => hash(path, 16);

export function ownershipLabels(id: AttemptIdentity): Record<string, string> {
  const labels: Record<string, string> = {
    [OwnershipLabels.managedBy]: MANAGER,
    [OwnershipLabels.execution]: labelSafe(id.execution.name),
    [OwnershipLabels.executionUid]: labelSafe(id.execution.uid),
    [OwnershipLabels.action]: actionLabel(id.path),
    [OwnershipLabels.attempt]: String(id.attempt),
  };
  // Lowercase, as on executions (`kubectl get jobs -l dr.bkbcs.tencent.com/operation=revert`).
  if (id.operationType !== undefined) labels[OwnershipLabels.operation] = id.operationType.toLowerCase();
  return labels;
}

export function ownershipAnnotations(id: AttemptIdentity): Record<string, string> {
  return {
    [OwnershipAnnotations.executionName]: id.execution.name,
    [OwnershipAnnotations.executionNamespace]: id.execution.namespace,
    [OwnershipAnnotations.actionPath]: id.path,
  };
}

/** Selects what one action (or one attempt of it) of one execution created. */
export function attemptSelector(executionUid: string, path: string, attempt?: number): string {
  const terms = [`${OwnershipLabels.executionUid}=${labelSafe(executionUid)}`, `${OwnershipLabels.action}=${actionLabel(path)}`];
  if (attempt !== undefined) terms.push(`${OwnershipLabels.attempt}=${attempt}`);
  return terms.join(',');
}

/** Whether `metadata` marks an object created by this action of this execution (any attempt). */
export function isOwnedBy(metadata: ObjectMeta | undefined, id: Pick<AttemptIdentity, 'execution' | 'path'>): boolean {
  const labels = metadata?.labels ?? {};
  return labels[OwnershipLabels.executionUid] === labelSafe(id.execution.uid) && labels[OwnershipLabels.action] === actionLabel(id.path);
}

/** The attempt that created an object, from its labels and annotations; undefined when it is not ours. */
export function readOwnership(metadata: ObjectMeta | undefined): AttemptIdentity | undefined {
  const labels = metadata?.labels ?? {};
  const annotations = metadata?.annotations ?? {};
  const text = (map: Record<string, string>, key: string): string => map[key] ?? '';
  const name = text(annotations, OwnershipAnnotations.executionName);
  const namespace = text(annotations, OwnershipAnnotations.executionNamespace);
  const path = text(annotations, OwnershipAnnotations.actionPath);
  const uid = text(labels, OwnershipLabels.executionUid);
  const attempt = Number(labels[OwnershipLabels.attempt]);
  if (labels[OwnershipLabels.managedBy] !== MANAGER || !Number.isInteger(attempt) || attempt < 1) return undefined;
  if ([name, namespace, path, uid].includes('') || labels[OwnershipLabels.action] !== actionLabel(path)) return undefined;
  return { execution: { name, namespace, uid }, path, attempt };
}

/**
 * The Job name of an attempt: `<execution>-<action>-<hash>-<attempt>`, a DNS-1123 label of at most 63
 * characters. The hash covers the execution uid and the whole action path, so two uses of one workflow
 * in a stage (same action name) and a re-created execution of the same name never share a Job; the
 * readable prefix is shortened when the whole would not fit.
 */
export function jobName(id: AttemptIdentity, actionName: string): string {
  const tail = `-${hash(`${id.execution.uid}/${id.path}`, 6)}-${id.attempt}`;
  const head = dnsFragment(`${id.execution.name}-${actionName}`)
    .slice(0, MAX_LABEL - tail.length)
    .replace(/-+$/, '');
  return head === '' ? tail.slice(1) : `${head}${tail}`;
}
