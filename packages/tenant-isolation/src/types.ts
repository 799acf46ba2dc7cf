/** Where the current tenant came from: set in-process by `runWithTenant`, or read from W3C baggage. */
export type TenantSource = 'context' | 'baggage';

export interface TenantInfo {
  readonly id: string;
  readonly source: TenantSource;
}
