/**
 * `allOf` / `anyOf` / `oneOf` / `not` in a structural schema. They only carry value validations
 * (structural schemas forbid types and defaults inside them), so each branch is checked against the
 * same value, as kube-openapi's validator does. The standard `anyOf: [{type: integer}, {type: string}]`
 * of `x-kubernetes-int-or-string` is covered by the type check and skipped here.
 *
 * kube-apiserver reports a failed composition at the field path `<nil>`; here the cause names the
 * field, which says the same thing more usefully.
 */
import type { Cause, SchemaNode } from './schema-node.js';
import { invalid, isIntOrString, schemasOf } from './schema-node.js';

interface Findings {
  causes: Cause[];
  listCauses: Cause[];
}

type Validate = (value: unknown, schema: SchemaNode, path: string, findings: Findings) => void;

/** The value being validated, where it is, where problems go, and how to validate it against a branch. */
export interface Target {
  value: unknown;
  path: string;
  findings: Findings;
  validate: Validate;
}

const composite = (path: string, detail: string): Cause => invalid(path, '', `${JSON.stringify(path)} ${detail}`);

function run(target: Target, branch: SchemaNode): Findings {
  const findings: Findings = { causes: [], listCauses: [] };
  target.validate(target.value, branch, target.path, findings);
  return findings;
}

const failures = (findings: Findings): number => findings.causes.length + findings.listCauses.length;

function merge(into: Findings, from: Findings): void {
  into.causes.push(...from.causes);
  into.listCauses.push(...from.listCauses);
}

/** The failed branch with the fewest problems: the one the user most likely meant. */
function closest(results: readonly Findings[]): Findings | undefined {
  let best: Findings | undefined;
  for (const result of results) if (best === undefined || failures(result) < failures(best)) best = result;
  return best;
}

function checkAnyOf(target: Target, branches: readonly SchemaNode[]): void {
  const results = branches.map((branch) => run(target, branch));
  if (results.some((result) => failures(result) === 0)) return;
  target.findings.causes.push(composite(target.path, 'must validate at least one schema (anyOf)'));
  const best = closest(results);
  if (best !== undefined) merge(target.findings, best);
}

function checkOneOf(target: Target, branches: readonly SchemaNode[]): void {
  const results = branches.map((branch) => run(target, branch));
  const valid = results.filter((result) => failures(result) === 0).length;
  if (valid === 1) return;
  const detail = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
  target.findings.causes.push(composite(target.path, `must validate one and only one schema (oneOf). ${detail}`));
  const best = valid === 0 ? closest(results) : undefined;
  if (best !== undefined) merge(target.findings, best);
}

export function validateComposition(target: Target, schema: SchemaNode): void {
  for (const branch of schemasOf(schema.allOf)) target.validate(target.value, branch, target.path, target.findings);
  const anyOf = schemasOf(schema.anyOf);
  if (anyOf.length > 0 && !isIntOrString(schema)) checkAnyOf(target, anyOf);
  const oneOf = schemasOf(schema.oneOf);
  if (oneOf.length > 0) checkOneOf(target, oneOf);
  const not = schemasOf([schema.not])[0];
  if (not !== undefined && failures(run(target, not)) === 0) {
    target.findings.causes.push(composite(target.path, 'must not validate the schema (not)'));
  }
}
