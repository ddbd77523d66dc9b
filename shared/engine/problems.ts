/** A validation problem: where (a field path such as `spec.actions[2].http.url`) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

export const problem = (path: string, message: string): Problem => ({ path, message });

/** `spec.actions[2].http` style paths from zod issue paths. */
export function formatPath(segments: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
