/**
 * A static estimate of a CRD rule's worst-case cost, in the units and along the lines of kube-apiserver's
 * estimator (k8s.io/apiserver/pkg/apis/cel/library/cost.go and cel-go's checker): every node costs 1;
 * a comprehension over a list costs its `maxItems` times its body; comparing or searching strings costs
 * 1 per 10 characters of their `maxLength`; `matches` the string's length times the pattern's, over 10;
 * `==` on objects or lists the size of the values compared. A string or list without a bound is taken at
 * the size a 3 MiB request allows, as kube-apiserver does — which fails the budget, so every value a rule
 * iterates or compares must be bounded in the schema.
 */
import { parse } from '@marcbachmann/cel-js';

type Schema = Record<string, unknown>;
interface Ast {
  op: string;
  args: unknown;
}
interface Estimate {
  cost: number;
  /** The schema of the value, when known. */
  schema?: Schema | undefined;
  /** The length (strings), items (lists) or serialized size (other values) at most. */
  size: number;
}

/** kube-apiserver's per-expression limit on the estimated cost (apiextensions validation). */
export const PER_RULE_BUDGET = 10_000_000;
const REQUEST_BYTES = 3 * 1024 * 1024;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isAst = (value: unknown): value is Ast => isRecord(value) && typeof value.op === 'string';

function sizeOf(schema: Schema | undefined): number {
  if (schema === undefined) return REQUEST_BYTES;
  if (schema.type === 'string') return typeof schema.maxLength === 'number' ? schema.maxLength : REQUEST_BYTES;
  if (schema.type === 'array') return typeof schema.maxItems === 'number' ? schema.maxItems : REQUEST_BYTES / 2;
  if (schema.type === 'integer' || schema.type === 'number' || schema.type === 'boolean') return 1;
  if (!isRecord(schema.properties)) return REQUEST_BYTES;
  return Object.values(schema.properties).reduce<number>((total, child) => total + (isRecord(child) ? sizeOf(child) : REQUEST_BYTES), 0);
}

const known = (schema: Schema | undefined): Estimate => ({ cost: 0, schema, size: sizeOf(schema) });
const scalar = (cost: number, size = 1): Estimate => ({ cost, size });
const strings = (size: number): number => Math.ceil(size * 0.1);

class Estimator {
  private readonly scope: ReadonlyMap<string, Schema | undefined>;

  constructor(scope: ReadonlyMap<string, Schema | undefined>) {
    this.scope = scope;
  }

  private with(name: string, schema: Schema | undefined): Estimator {
    return new Estimator(new Map([...this.scope, [name, schema]]));
  }

  estimate(node: unknown): Estimate {
    if (!isAst(node)) return scalar(0);
    const args = Array.isArray(node.args) ? (node.args as unknown[]) : [node.args];
    switch (node.op) {
      case 'value':
        return scalar(0, typeof node.args === 'string' ? node.args.length : 1);
      case 'id':
        return known(this.scope.get(String(node.args)));
      case '.':
        return this.field(args);
      case 'rcall':
        return this.receiverCall(args);
      case 'call':
        return this.call(args);
      default:
        return this.operator(node.op, args);
    }
  }

  private field(args: unknown[]): Estimate {
    const base = this.estimate(args[0]);
    const properties = isRecord(base.schema?.properties) ? base.schema.properties : {};
    const child = properties[String(args[1])];
    return { ...known(isRecord(child) ? child : undefined), cost: base.cost + 1 };
  }

  private call(args: unknown[]): Estimate {
    const [name, params] = args;
    const inner = (Array.isArray(params) ? params : []).map((param) => this.estimate(param));
    const cost = 1 + inner.reduce((total, each) => total + each.cost, 0);
    if (name === 'has') return scalar(cost);
    if (name === 'size') return scalar(cost);
    if (name === 'duration') return scalar(cost + strings(inner[0]?.size ?? 0));
    return scalar(cost + strings(inner.reduce((total, each) => total + each.size, 0)));
  }

  private static readonly MACROS: ReadonlySet<unknown> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

  /** A macro over a list: its body once per item the list may hold. */
  private comprehension(receiver: Estimate, params: readonly unknown[]): Estimate {
    const variable = isAst(params[0]) ? String(params[0].args) : '_';
    const items = isRecord(receiver.schema?.items) ? receiver.schema.items : undefined;
    const body = this.with(variable, items).estimate(params[params.length - 1]);
    return scalar(receiver.cost + 1 + receiver.size * (body.cost + 1));
  }

  private receiverCall(args: unknown[]): Estimate {
    const [name, target, params] = args;
    const list = Array.isArray(params) ? params : [];
    const receiver = this.estimate(target);
    if (Estimator.MACROS.has(name)) return this.comprehension(receiver, list);
    const inner = list.map((param) => this.estimate(param));
    const argSize = inner.reduce((total, each) => total + each.size, 0);
    const argCost = inner.reduce((total, each) => total + each.cost, 0);
    if (name === 'matches') return scalar(receiver.cost + argCost + 1 + Math.ceil((receiver.size * argSize) / 10));
    return scalar(receiver.cost + argCost + 1 + strings(receiver.size + argSize));
  }

  private operator(op: string, args: unknown[]): Estimate {
    const inner = args.map((arg) => this.estimate(arg));
    const cost = 1 + inner.reduce((total, each) => total + each.cost, 0);
    if (op === '==' || op === '!=' || op === 'in') {
      // comparing values costs their size (strings by 10 characters, structures by their serialized size)
      const size = Math.max(...inner.map((each) => each.size), 1);
      return scalar(cost + (op === 'in' ? size * strings(inner[0]?.size ?? 1) : strings(size)));
    }
    return scalar(cost);
  }
}

/** The estimated worst-case cost of `rule` evaluated with `self` of `schema` (and `oldSelf` the same). */
export function estimateRuleCost(rule: string, schema: Schema): number {
  const { ast } = parse(rule) as unknown as { ast: unknown };
  return new Estimator(
    new Map([
      ['self', schema],
      ['oldSelf', schema],
    ]),
  ).estimate(ast).cost;
}
