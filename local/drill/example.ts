/**
 * An example folder as the drill uses it: every object in its YAML files (in file order) split into
 * what is applied first — Namespaces, then the rest, as `kubectl apply -f <folder>` would — and the
 * Execute and Revert DRPlanExecutions, which the drill creates itself at the right moment.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, Kinds } from '../../shared/api/index.js';
import type { Kube, KubeObject, ObjectKey } from '../../shared/kube/types.js';
import { isRecord } from '../../shared/type-utils.js';

/** The address HTTP actions of the examples use for the demo target; the drill replaces it with the real one. */
export const DEMO_TARGET_ADDRESS = 'http://127.0.0.1:8090';
export const FIELD_MANAGER = 'drplan-drill';

export interface Example {
  /** Applied before anything runs: Namespaces first, then the rest in file order. */
  setup: KubeObject[];
  execute: KubeObject;
  revert?: KubeObject | undefined;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

function toObject(value: unknown, where: string): KubeObject {
  if (
    !isRecord(value) ||
    typeof value.apiVersion !== 'string' ||
    typeof value.kind !== 'string' ||
    !isRecord(value.metadata) ||
    typeof value.metadata.name !== 'string'
  ) {
    throw new Error(`${where}: not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
  }
  return value as KubeObject;
}

/** Every object of every .yaml/.yml file under `dir`, in file order. */
export function readObjects(dir: string): KubeObject[] {
  return yamlFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document, index) => {
      const where = `${relative(process.cwd(), file)}: document ${index + 1}`;
      if (document.errors.length > 0) throw new Error(`${where}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
      const value: unknown = document.toJS();
      return value === null || value === undefined ? [] : [toObject(value, where)];
    }),
  );
}

const operationOf = (object: KubeObject): unknown => (isRecord(object.spec) ? object.spec.operationType : undefined);

/** Splits an example folder; it must hold exactly one Execute and at most one Revert execution. */
export function readExample(dir: string): Example {
  const objects = readObjects(dir);
  const executions = objects.filter((object) => object.kind === Kinds.execution);
  const executes = executions.filter((object) => operationOf(object) === 'Execute');
  const reverts = executions.filter((object) => operationOf(object) === 'Revert');
  const [execute] = executes;
  if (execute === undefined || executes.length > 1)
    throw new Error(`${dir}: expected one DRPlanExecution with spec.operationType Execute, found ${executes.length}`);
  if (reverts.length > 1) throw new Error(`${dir}: expected at most one DRPlanExecution with spec.operationType Revert, found ${reverts.length}`);
  const rest = objects.filter((object) => object.kind !== Kinds.execution);
  const setup = [...rest.filter((object) => object.kind === 'Namespace'), ...rest.filter((object) => object.kind !== 'Namespace')];
  return { setup, execute, revert: reverts[0] };
}

export const keyOf = (object: KubeObject): ObjectKey => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  namespace: object.metadata.namespace,
});

/** `kubectl apply --server-side` of each object, in order. */
export async function applyAll(kube: Kube, objects: readonly KubeObject[]): Promise<void> {
  for (const object of objects) {
    const key = keyOf(object);
    try {
      await kube.apply(object, FIELD_MANAGER);
    } catch (error: unknown) {
      throw new Error(`applying ${key.kind} ${key.namespace ?? ''}/${key.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** `spec.params` values that point at the examples' demo target address now point at `url`. */
export function pointParamsAt(execution: KubeObject, url: string): KubeObject {
  const spec = isRecord(execution.spec) ? execution.spec : {};
  const params = Array.isArray(spec.params) ? spec.params : [];
  const pointed: unknown[] = params.map((param: unknown) =>
    isRecord(param) && typeof param.value === 'string' && param.value.startsWith(DEMO_TARGET_ADDRESS)
      ? { ...param, value: url + param.value.slice(DEMO_TARGET_ADDRESS.length) }
      : param,
  );
  return params.length === 0 ? execution : { ...execution, spec: { ...spec, params: pointed } };
}

/** The execution's name, or `<name>-2`, `-3`, … when an execution of that name exists (a kept state folder). */
export async function freeName(kube: Kube, execution: KubeObject): Promise<string> {
  const name = execution.metadata.name ?? '';
  const namespace = execution.metadata.namespace ?? 'default';
  for (let n = 1; ; n += 1) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    const existing = await kube.get({ apiVersion: API_VERSION, kind: Kinds.execution, name: candidate, namespace });
    if (existing === undefined) return candidate;
  }
}

/** The execution under a new name (and, for a Revert, pointing at the Execute it reverts). */
export function renamed(execution: KubeObject, name: string, revertOf?: string): KubeObject {
  const spec = isRecord(execution.spec) ? execution.spec : {};
  return {
    ...execution,
    metadata: { ...execution.metadata, name },
    spec: revertOf === undefined ? spec : { ...spec, revertExecutionRef: revertOf },
  };
}
