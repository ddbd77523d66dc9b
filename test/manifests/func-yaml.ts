/**
 * `func.yaml` (knative func, specVersion 0.36.0) as a strict zod schema: the part of the upstream JSON
 * schema (knative/func schema/func_yaml-schema.json) the six functions use, with its required fields
 * (`specVersion`, `created`), its patterns (name, env names, label keys and values) and
 * `additionalProperties: false` everywhere (func refuses a file with an unknown field).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from './manifests.js';

const EnvSchema = z.strictObject({ name: z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/), value: z.string() });
const LabelSchema = z.strictObject({
  key: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/),
  value: z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/),
});
const Quantity = z.string().regex(/^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/);

export const FuncYamlSchema = z.strictObject({
  specVersion: z.literal('0.36.0'),
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  runtime: z.string(),
  created: z.iso.datetime({ offset: true }),
  invoke: z.enum(['http', 'cloudevent']).optional(),
  build: z.strictObject({ builder: z.enum(['pack', 's2i']) }),
  run: z.strictObject({ envs: z.array(EnvSchema) }),
  deploy: z.strictObject({
    namespace: z.string(),
    serviceAccountName: z.string(),
    labels: z.array(LabelSchema),
    healthEndpoints: z.strictObject({ liveness: z.string(), readiness: z.string() }),
    options: z.strictObject({
      scale: z.strictObject({
        min: z.number().int().min(0),
        max: z.number().int().min(0),
        metric: z.enum(['concurrency', 'rps']).optional(),
        target: z.number().min(0).optional(),
      }),
      resources: z.strictObject({
        requests: z.strictObject({ cpu: Quantity, memory: Quantity }),
        limits: z.strictObject({ memory: Quantity, concurrency: z.number().int().min(0) }),
      }),
    }),
  }),
});
export type FuncYaml = z.infer<typeof FuncYamlSchema>;

export const funcYamlPath = (fn: string): string => join(REPO_ROOT, 'functions', fn, 'func.yaml');

/** The parsed func.yaml of a function (not validated). */
export const readFuncYaml = (fn: string): unknown => parse(readFileSync(funcYamlPath(fn), 'utf8'));
