// Per-tenant activity counters for /debug: requests, errors, jobs enqueued and plugin runs, kept
// only for the registered tenants (an unknown id can never create an entry).
import type { TenantActivity } from './debug/types';

export type ActivityKind = 'requests' | 'errors' | 'jobs' | 'pluginRuns';

export class TenantActivityLog {
  private readonly entries = new Map<string, TenantActivity>();

  constructor(tenants: readonly string[]) {
    for (const tenant of tenants) {
      this.entries.set(tenant, {
        tenant,
        requests: 0,
        errors: 0,
        jobs: 0,
        pluginRuns: 0,
        lastSeen: undefined,
      });
    }
  }

  count(tenant: string | undefined, kind: ActivityKind): void {
    const entry = tenant === undefined ? undefined : this.entries.get(tenant);
    if (entry === undefined) return;
    entry[kind]++;
    if (kind === 'requests') entry.lastSeen = new Date().toISOString();
  }

  list(): TenantActivity[] {
    return [...this.entries.values()].map((entry) => ({ ...entry }));
  }
}
