/**
 * Where the tests find the files vendored from upstream projects (test/fixtures/vendored/, each folder
 * with a README naming its source, version and licence). Every path is inside the repository: a fresh
 * clone has everything the suite reads.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const VENDORED = join(REPO_ROOT, 'test', 'fixtures', 'vendored');

/** The original controller's CRDs (`config/crd/bases/` upstream). */
export const ORIGINAL_CRDS = join(VENDORED, 'original-controller', 'crds');
/** The original controller's sample manifests: `install/`, `switchover/`, `samples/`. */
export const ORIGINAL_MANIFESTS = join(VENDORED, 'original-controller', 'manifests');
/** The Knative Eventing and Serving CRDs the production manifests use. */
export const KNATIVE_CRDS = join(VENDORED, 'knative');
/** Clusternet v0.18.1's CRDs. */
export const CLUSTERNET_CRDS = join(VENDORED, 'clusternet');
