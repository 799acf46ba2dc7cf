// The shapes shared by the tenant policy modules (registry, limits, retention, redaction,
// encryption, audit), so each module can be used alone and they still fit together.

/** Per-tenant limits. Rates are per second, bursts are the bucket size (default: one second's worth). */
export interface TenantLimits {
  /** Authenticated requests per second (HTTP, GraphQL). */
  readonly requestsPerSecond: number;
  readonly requestBurst?: number;
  /** Spans per second recorded for the tenant. */
  readonly spansPerSecond: number;
  readonly spanBurst?: number;
  /** Log lines per second written for the tenant. */
  readonly logLinesPerSecond: number;
  readonly logLineBurst?: number;
  /** New metric series per minute created with the tenant's `tenant_id` label. */
  readonly newSeriesPerMinute: number;
  readonly newSeriesBurst?: number;
}

/** The kinds of token bucket a tenant has. */
export type BudgetKind = 'requests' | 'spans' | 'logs' | 'series';

/** A Loki `retention_stream` entry: streams matching `selector` are kept for `period`. */
export interface StreamRetention {
  readonly selector: string;
  readonly period: string;
  readonly priority?: number;
}

/** How long each signal of a tenant is kept in the backends, as Prometheus-style durations (`744h`, `30d`). */
export interface RetentionPolicy {
  readonly traces?: string;
  readonly logs?: string;
  readonly metrics?: string;
  readonly logStreams?: readonly StreamRetention[];
}

/** What the redactor does for one tenant beyond the always-on rules. */
export interface RedactionPolicy {
  /** Mask IPv4/IPv6 addresses in values. Default false (IPs are often needed to debug). */
  readonly maskIps?: boolean;
  /** Attribute names dropped (masked) whatever their value, besides the global deny list. */
  readonly denyAttributes?: readonly string[];
  /** Attribute names encrypted under the tenant's key instead of masked. */
  readonly sensitiveAttributes?: readonly string[];
}

/** A tenant's encryption keys: 32-byte AES-256 keys by key id; `current` encrypts, all decrypt. */
export interface TenantKeySet {
  readonly current: string;
  /** Key id → key, as `base64:...`, `hex:...` or `env:VARIABLE` (read from the environment). */
  readonly keys: Readonly<Record<string, string>>;
}

/** An API key as stored: never the key itself, only its SHA-256 hash. */
export interface ApiKeyRecord {
  /** A name for the key, shown in audit entries (never the key). */
  readonly id: string;
  /** `sha256:<64 hex chars>` of the key. */
  readonly hash: string;
  readonly revoked?: boolean;
  /** ISO 8601 instant after which the key is refused. */
  readonly expiresAt?: string;
}

/** One tenant as configured (file or code). */
export interface TenantConfig {
  readonly id: string;
  readonly name?: string;
  readonly apiKeys?: readonly ApiKeyRecord[];
  /** Name of a plan in the registry's `plans`; its limits apply unless `limits` overrides them. */
  readonly plan?: string;
  readonly limits?: Partial<TenantLimits>;
  readonly retention?: RetentionPolicy;
  /** CIDR ranges (v4 or v6) requests may come from. Absent or empty: any address. */
  readonly allowedIps?: readonly string[];
  /** Origins (`https://app.example.com`, `https://*.example.com`) browsers may call from. Absent: any. */
  readonly allowedOrigins?: readonly string[];
  readonly redaction?: RedactionPolicy;
  readonly encryption?: TenantKeySet;
  /** The `X-Scope-OrgID` sent to Loki/Tempo/Mimir for this tenant. Default: the tenant id. */
  readonly orgId?: string;
}

/** The security events the audit log records. */
export type AuditEventType =
  | 'auth.failure'
  | 'auth.tenant_mismatch'
  | 'auth.ip_denied'
  | 'auth.origin_denied'
  | 'rate_limit.exceeded'
  | 'policy.change'
  | 'crypto.decrypt'
  | 'crypto.decrypt_failure'
  | 'gdpr.export'
  | 'gdpr.erase'
  /** Written by the audit log itself when it reopens a file whose last line was torn or unverifiable. */
  | 'audit.resume';

export interface AuditEventInput {
  readonly type: AuditEventType;
  /** The tenant the event concerns, when known. */
  readonly tenant?: string;
  /** The data subject (end user) the event concerns, for GDPR export/erase. */
  readonly subject?: string;
  /** Details. Never put secrets (keys, tokens) here. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Where policy modules report security events. `record` never throws and never blocks. */
export interface AuditSink {
  record(event: AuditEventInput): void;
}

/**
 * What the signal packages need from a per-tenant telemetry budget (the tenant limiter provides it):
 * `tryTake` admits or refuses one unit, `charge` takes it even into debt (for child spans of a trace
 * already admitted, so traces stay whole while later roots pay the debt back).
 */
export interface TelemetryBudget {
  tryTake(tenant: string, kind: BudgetKind, n?: number): boolean;
  charge(tenant: string, kind: BudgetKind, n?: number): void;
}

/** What tracing needs from a redactor: a redacted copy of an attribute map, never throwing. */
export interface AttributeRedactor {
  redactAttributes(attributes: Readonly<Record<string, unknown>>, tenantId?: string): Record<string, unknown>;
}
