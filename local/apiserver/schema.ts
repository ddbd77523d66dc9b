/**
 * Admission of a custom resource against its CRD version's `openAPIV3Schema`, in kube-apiserver's
 * order: prune unknown fields, apply defaults, then validate (object name, schema, list types).
 * The causes are `metav1.StatusCause`s (`reason`, `message`, `field`) as a real server returns them in
 * a 422 `Invalid` Status, so `kubectl` and client-node print the same errors as against a cluster.
 *
 * CEL rules (`x-kubernetes-validations`) run last, on an object the schema accepts (shared/cel/validate.ts),
 * with `oldSelf` and ratcheting on an update. Not covered: ratcheting of the schema checks, `uniqueItems`
 * (forbidden in structural schemas anyway), and formats other than `date-time` and `date`.
 */
import type { Cause } from './schema-node.js';
import { asSchema, invalid, isRecord, jsonTypeOf, required, typeInvalid } from './schema-node.js';
import { applyDefaults, prune } from './schema-prune.js';
import { newFindings, validateValue } from './schema-validate.js';
import { dns1123SubdomainErrors } from './schema-format.js';
import { describeFailure, ruleFailures } from '../../shared/cel/validate.js';

export type { Cause } from './schema-node.js';

export interface Admission {
  /** The object as it would be stored: pruned and defaulted (a copy; the input is not modified). */
  object: unknown;
  /** Empty when the object is valid. */
  causes: Cause[];
}

/** `generateName` is a prefix: a trailing `-` is fine (kube-apiserver's `maskTrailingDash`). */
const maskTrailingDash = (prefix: string): string => (prefix.length > 1 && prefix.endsWith('-') ? `${prefix.slice(0, -1)}a` : prefix);

/** `metadata.name` (or `metadata.generateName`) must be a DNS-1123 subdomain of at most 253 characters. */
export function validateObjectName(metadata: unknown): Cause[] {
  if (metadata !== undefined && !isRecord(metadata)) {
    const actual = jsonTypeOf(metadata);
    return [typeInvalid('metadata', actual, `metadata in body must be of type object: ${JSON.stringify(actual)}`)];
  }
  const name = metadata?.name;
  const generateName = metadata?.generateName;
  if (typeof name === 'string' && name !== '') {
    return dns1123SubdomainErrors(name).map((message) => invalid('metadata.name', name, message));
  }
  if (typeof generateName === 'string' && generateName !== '') {
    return dns1123SubdomainErrors(maskTrailingDash(generateName)).map((message) => invalid('metadata.generateName', generateName, message));
  }
  return [required('metadata.name', 'name or generateName is required')];
}

/**
 * Prunes, defaults and validates `object` (a custom resource as sent by a client) against `schema`
 * (the CRD version's `openAPIV3Schema`). `kindLabel` (e.g. `DRPlan`) names the kind in messages about
 * the object as a whole.
 */
export function admitCustomResource(schema: unknown, object: unknown, kindLabel: string, stored?: unknown): Admission {
  if (!isRecord(object)) {
    const actual = jsonTypeOf(object);
    return { object, causes: [typeInvalid('', actual, `a ${kindLabel} must be a JSON object, not ${actual}`)] };
  }
  const nameCauses = validateObjectName(object.metadata);
  const root = asSchema(schema);
  if (root === undefined) return { object: structuredClone(object), causes: nameCauses };
  const admitted = applyDefaults(prune(object, root, true), root, true);
  const findings = newFindings();
  validateValue(admitted, root, '', findings);
  const causes = [...nameCauses, ...findings.causes, ...findings.listCauses];
  // the CEL rules run on an object the schema accepts (they assume its types)
  if (causes.length === 0)
    causes.push(
      ...ruleFailures(root, admitted, stored).map((failure) => ({ reason: failure.reason, message: describeFailure(failure), field: failure.field })),
    );
  return { object: admitted, causes };
}
