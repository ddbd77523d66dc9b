/**
 * The tables kube-apiserver prints for the built-in types the local server stores (its
 * `pkg/printers/internalversion` column sets, always generated "wide": `kubectl` hides the
 * `priority: 1` columns unless `-o wide`). Types without a set get the default convertor's
 * `Name` + `Created At`. Keys are `plural` for the core group, `plural.group` otherwise.
 */
import type { ComputedColumn, ListMeta } from './table.js';
import { AGE_DESCRIPTION, metadataOf, nameColumn, tableOf } from './table.js';
import { ageSince, humanDuration, rfc3339 } from './table-time.js';
import { isRecord } from './schema-node.js';

type Row = Readonly<Record<string, unknown>>;

const column = (
  name: string,
  description: string,
  cell: ComputedColumn['cell'],
  extra: { priority?: number; type?: string; format?: string } = {},
): ComputedColumn => ({
  definition: { name, type: extra.type ?? 'string', format: extra.format ?? '', description, priority: extra.priority ?? 0 },
  cell,
});

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const count = (value: unknown): number => (isRecord(value) ? Object.keys(value).length : Array.isArray(value) ? value.length : 0);
const int = (value: unknown): number => (typeof value === 'number' ? value : 0);

const age = column('Age', AGE_DESCRIPTION, (object, now) => ageSince(metadataOf(object).creationTimestamp, now));

const conditionTrue = (object: Row, type: string): boolean =>
  (Array.isArray(record(object.status).conditions) ? (record(object.status).conditions as unknown[]) : []).some(
    (c) => isRecord(c) && c.type === type && c.status === 'True',
  );

const JOB_STATES: readonly [string, (job: Row) => boolean][] = [
  ['Complete', (job) => conditionTrue(job, 'Complete')],
  ['Failed', (job) => conditionTrue(job, 'Failed')],
  ['Terminating', (job) => metadataOf(job).deletionTimestamp !== undefined],
  ['Suspended', (job) => conditionTrue(job, 'Suspended')],
  ['FailureTarget', (job) => conditionTrue(job, 'FailureTarget')],
  ['SuccessCriteriaMet', (job) => conditionTrue(job, 'SuccessCriteriaMet')],
];

export function jobStatus(job: Row): string {
  return JOB_STATES.find(([, applies]) => applies(job))?.[0] ?? 'Running';
}

export function jobCompletions(job: Row): string {
  const spec = record(job.spec);
  const succeeded = int(record(job.status).succeeded);
  if (typeof spec.completions === 'number') return `${succeeded}/${spec.completions}`;
  if (typeof spec.parallelism === 'number' && spec.parallelism > 1) return `${succeeded}/1 of ${spec.parallelism}`;
  return `${succeeded}/1`;
}

export function jobDuration(job: Row, now: Date): string {
  const status = record(job.status);
  const start = Date.parse(text(status.startTime));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(text(status.completionTime));
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

const containers = (job: Row): Record<string, unknown>[] => {
  const list = record(record(record(job.spec).template).spec).containers;
  return Array.isArray(list) ? list.filter(isRecord) : [];
};

/** `metav1.FormatLabelSelector`: `a=b,c in (d,e)`, `<none>` without a selector. */
export function formatSelector(selector: unknown): string {
  if (!isRecord(selector)) return '<none>';
  const labels = Object.entries(record(selector.matchLabels)).map(([key, value]) => `${key}=${text(value)}`);
  const expressions = (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).filter(isRecord).map((e) => {
    const values = Array.isArray(e.values) ? e.values.map(text).sort().join(',') : '';
    const operators: Record<string, string> = { In: ` in (${values})`, NotIn: ` notin (${values})`, Exists: '', DoesNotExist: '' };
    return `${e.operator === 'DoesNotExist' ? '!' : ''}${text(e.key)}${operators[text(e.operator)] ?? ''}`;
  });
  const all = [...labels, ...expressions].sort();
  return all.length === 0 ? '<none>' : all.join(',');
}

const eventTime = (event: Row, now: Date, field: 'firstTimestamp' | 'lastTimestamp'): string => {
  const first = text(event.firstTimestamp) === '' ? event.eventTime : event.firstTimestamp;
  const series = record(event.series);
  if (field === 'lastTimestamp' && text(series.lastObservedTime) !== '') return ageSince(series.lastObservedTime, now);
  const chosen = field === 'lastTimestamp' && text(event.lastTimestamp) !== '' ? event.lastTimestamp : first;
  return ageSince(chosen, now);
};

const eventObject = (event: Row): string => {
  const involved = record(event.involvedObject);
  const kind = text(involved.kind).toLowerCase();
  return text(involved.name) === '' ? kind : `${kind}/${text(involved.name)}`;
};

const eventSource = (event: Row): string => {
  const source = record(event.source);
  const [component, instance] =
    text(source.component) === '' ? [text(event.reportingComponent), text(event.reportingInstance)] : [text(source.component), text(source.host)];
  return instance === '' ? component : `${component}, ${instance}`;
};

const eventCount = (event: Row): number => {
  const series = record(event.series);
  if (typeof series.count === 'number') return series.count;
  return int(event.count) === 0 ? 1 : int(event.count);
};

const wide = { priority: 1 };

export const BUILTIN_COLUMNS: Readonly<Record<string, readonly ComputedColumn[]>> = {
  namespaces: [nameColumn, column('Status', 'The status of the namespace', (o) => text(record(o.status).phase)), age],
  configmaps: [nameColumn, column('Data', 'Number of data entries', (o) => count(o.data) + count(o.binaryData)), age],
  secrets: [
    nameColumn,
    column('Type', 'The type of the secret', (o) => text(o.type)),
    column('Data', 'Number of data entries', (o) => count({ ...record(o.data), ...record(o.stringData) })),
    age,
  ],
  serviceaccounts: [nameColumn, column('Secrets', 'Number of secrets', (o) => count(o.secrets)), age],
  'jobs.batch': [
    nameColumn,
    column('Status', 'Status of the job.', jobStatus),
    column('Completions', 'The number of pods which reached phase Succeeded.', jobCompletions),
    column('Duration', 'Time required to complete the job.', jobDuration),
    age,
    column(
      'Containers',
      'Names of each container in the template.',
      (o) =>
        containers(o)
          .map((c) => text(c.name))
          .join(','),
      wide,
    ),
    column(
      'Images',
      'Images referenced by each container in the template.',
      (o) =>
        containers(o)
          .map((c) => text(c.image))
          .join(','),
      wide,
    ),
    column('Selector', 'A label query over pods that should match the pod count.', (o) => formatSelector(record(o.spec).selector), wide),
  ],
  events: [
    column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.', (o, now) => eventTime(o, now, 'lastTimestamp')),
    column('Type', 'Type of this event (Normal, Warning).', (o) => text(o.type)),
    column('Reason', 'A short, machine understandable string that gives the reason for the transition.', (o) => text(o.reason)),
    column('Object', 'The object that this event is about.', eventObject),
    column('Subobject', 'The field of the object the event is about.', (o) => text(record(o.involvedObject).fieldPath), wide),
    column('Source', 'The component reporting this event. Short machine understandable string.', eventSource, wide),
    column('Message', 'A human-readable description of the status of this operation.', (o) => text(o.message).trim()),
    column('First Seen', 'The time at which the event was first recorded.', (o, now) => eventTime(o, now, 'firstTimestamp'), wide),
    column('Count', 'The number of times this event has occurred.', eventCount, wide),
    { ...nameColumn, definition: { ...nameColumn.definition, priority: 1 } },
  ],
  'leases.coordination.k8s.io': [nameColumn, column('Holder', 'The holder of the lease', (o) => text(record(o.spec).holderIdentity)), age],
};

/** kube-apiserver's default table convertor: `Name` and `Created At` (an RFC 3339 date). */
export const DEFAULT_COLUMNS: readonly ComputedColumn[] = [
  nameColumn,
  column('Created At', AGE_DESCRIPTION, (o) => rfc3339(metadataOf(o).creationTimestamp), { type: 'date' }),
];

/** The `Table` of built-in objects of the type `key` (`plural`, or `plural.group` outside the core group). */
export function builtinTable(key: string, objects: readonly unknown[], listMeta?: ListMeta, now?: Date): unknown {
  return tableOf(objects, BUILTIN_COLUMNS[key] ?? DEFAULT_COLUMNS, listMeta, now);
}
