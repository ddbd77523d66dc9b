/**
 * Which resources are served: the built-ins plus one entry per registered CRD. Discovery and routing
 * both read from here, so a CRD created at run time is servable and discoverable at once.
 */
import { BUILTIN_TYPES } from './builtins.js';
import type { ResourceType, ResourceVersion } from './types.js';
import { typeKey } from './types.js';

export interface Resolved {
  type: ResourceType;
  version: ResourceVersion;
}

export class Registry {
  private readonly types = new Map<string, ResourceType>();
  /** Changes whenever a type is registered or unregistered (caches of derived documents key on it). */
  revision = 0;

  constructor(builtins: readonly ResourceType[] = BUILTIN_TYPES) {
    for (const type of builtins) this.types.set(typeKey(type.group, type.plural), type);
  }

  register(type: ResourceType): void {
    this.types.set(typeKey(type.group, type.plural), type);
    this.revision += 1;
  }

  unregister(group: string, plural: string): ResourceType | undefined {
    const key = typeKey(group, plural);
    const type = this.types.get(key);
    if (type?.custom === true) {
      this.types.delete(key);
      this.revision += 1;
    }
    return type;
  }

  byKey(key: string): ResourceType | undefined {
    return this.types.get(key);
  }

  resolve(group: string, version: string, plural: string): Resolved | undefined {
    const type = this.types.get(typeKey(group, plural));
    const served = type?.versions.find((v) => v.name === version);
    return type === undefined || served === undefined ? undefined : { type, version: served };
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** Groups in discovery order (built-in groups first, then custom ones by name), each with its versions. */
  groups(): Array<{ group: string; versions: string[] }> {
    const byGroup = new Map<string, { custom: boolean; versions: string[] }>();
    for (const type of this.types.values()) {
      const entry = byGroup.get(type.group) ?? { custom: type.custom, versions: [] };
      for (const version of type.versions) if (!entry.versions.includes(version.name)) entry.versions.push(version.name);
      byGroup.set(type.group, entry);
    }
    return [...byGroup.entries()]
      .sort(([a, ea], [b, eb]) => Number(ea.custom) - Number(eb.custom) || a.localeCompare(b))
      .map(([group, entry]) => ({ group, versions: entry.versions }));
  }

  /** The types served under one group/version. */
  inGroupVersion(group: string, version: string): Array<Resolved> {
    const out: Resolved[] = [];
    for (const type of this.types.values()) {
      const served = type.group === group ? type.versions.find((v) => v.name === version) : undefined;
      if (served !== undefined) out.push({ type, version: served });
    }
    return out;
  }
}
