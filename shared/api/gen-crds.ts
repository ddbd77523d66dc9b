/** `npm run gen:crds`: writes the CRDs generated from the zod schemas to `knative/crds/`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCrdFiles } from './crd.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

for (const file of generateCrdFiles()) {
  const target = join(root, file.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.text);
  console.log(`wrote ${file.path}`);
}
