/** The stage graph of a plan: cycle detection (with the cycle's path) and a stable topological order. */
export interface StageNode {
  name: string;
  dependsOn?: readonly string[] | undefined;
}

type Color = 'visiting' | 'done';

/** Each stage's dependencies that name a stage of the list (unknown names are ignored). */
function dependencyEdges(stages: readonly StageNode[]): Map<string, string[]> {
  const known = new Set(stages.map((stage) => stage.name));
  const edges = new Map<string, string[]>();
  for (const stage of stages) {
    const deps = (stage.dependsOn ?? []).filter((dep) => known.has(dep));
    edges.set(stage.name, [...(edges.get(stage.name) ?? []), ...deps]);
  }
  return edges;
}

/** The walk's stack: the current path and, for each node on it, the index of the next edge to follow. */
interface Walk {
  path: string[];
  cursor: number[];
}

function enter(walk: Walk, node: string, colors: Map<string, Color>): void {
  colors.set(node, 'visiting');
  walk.path.push(node);
  walk.cursor.push(0);
}

/** Depth-first walk from `start` (iterative, so long chains cannot overflow the stack). */
function cycleFrom(start: string, edges: ReadonlyMap<string, readonly string[]>, colors: Map<string, Color>): string[] | undefined {
  const walk: Walk = { path: [], cursor: [] };
  enter(walk, start, colors);
  while (walk.path.length > 0) {
    const top = walk.path.length - 1;
    const node = walk.path[top] ?? '';
    const index = walk.cursor[top] ?? 0;
    const next = edges.get(node)?.[index];
    if (next === undefined) {
      colors.set(node, 'done');
      walk.path.pop();
      walk.cursor.pop();
      continue;
    }
    walk.cursor[top] = index + 1;
    const color = colors.get(next);
    if (color === 'visiting') return [...walk.path.slice(walk.path.indexOf(next)), next];
    if (color === undefined) enter(walk, next, colors);
  }
  return undefined;
}

/** A cycle as a path that starts and ends at the same stage, e.g. ['a','b','a']; undefined if acyclic. Unknown dependsOn names are ignored here. */
export function findCycle(stages: readonly StageNode[]): string[] | undefined {
  const edges = dependencyEdges(stages);
  const colors = new Map<string, Color>();
  for (const stage of stages) {
    if (colors.has(stage.name)) continue;
    const cycle = cycleFrom(stage.name, edges, colors);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** Stage names in a topological order (stable: list order breaks ties); undefined if there is a cycle. */
export function topologicalOrder(stages: readonly StageNode[]): string[] | undefined {
  const known = new Set(stages.map((stage) => stage.name));
  const placed = new Set<string>();
  const remaining = [...stages];
  const order: string[] = [];
  const ready = (stage: StageNode): boolean => (stage.dependsOn ?? []).every((dep) => placed.has(dep) || !known.has(dep));
  while (remaining.length > 0) {
    const index = remaining.findIndex(ready);
    const next = remaining[index];
    if (next === undefined) return undefined;
    remaining.splice(index, 1);
    placed.add(next.name);
    order.push(next.name);
  }
  return order;
}
