// Public types of @autoweave/logging.
import type { MeterProvider } from '@opentelemetry/api';
import type { TelemetryBudget } from '@autoweave/tenant-isolation';
import type { Logger } from 'winston';

/**
 * A log record as the redaction hook sees it: the JSON object that will be written, with
 * `level`, `message`, `timestamp`, `service`, `environment` and, when present, `trace_id`,
 * `span_id`, `trace_flags`, `tenant_id`, `component` and the caller's own fields.
 */
export interface LogRecord {
  level: string;
  message: unknown;
  [key: string]: unknown;
}

/** Returns the record to write (the same object changed, or a new one), or `false` to drop it everywhere. */
export type RedactHook = (record: LogRecord) => LogRecord | false;

/** Why a record was not delivered. */
export type DropReason =
  /** The redaction hook returned false. */
  | 'redacted'
  /** The redaction hook threw; the record is dropped because it may hold unredacted data. */
  | 'redact_error'
  /** The tenant's `logs` budget was empty (the tenant limiter refused the line). */
  | 'tenant_budget'
  /** The Loki buffer was full (Loki slow or down); the newest record was dropped. */
  | 'buffer_full'
  /** Loki answered 4xx (other than 429) and the batch was discarded. */
  | 'rejected'
  /** Still buffered when `shutdown()` gave up waiting, or logged after shutdown. */
  | 'shutdown';

export interface LokiOptions {
  /** Base URL of Loki (or a gateway), e.g. `http://loki:3100`; `/loki/api/v1/push` is appended. */
  readonly url: string;
  /** Tenants known in advance: always get their own `tenant_id` label value. */
  readonly tenants?: Iterable<string>;
  /** Only the `tenants` get their own label value; others get `tenantOverflowValue`. Default false. */
  readonly tenantsOnly?: boolean;
  /**
   * Gives a tenant outside `tenants` its own label value (up to `tenantCap`) only when true, e.g.
   * `registry.has`, so tenants registered at runtime are followed. Overrides `tenantsOnly`.
   */
  readonly acceptTenant?: (tenantId: string) => boolean;
  /** Distinct `tenant_id` label values besides `tenants` before overflowing. Default 100. */
  readonly tenantCap?: number;
  /**
   * `tenant_id` label value once the cap is hit or a tenant is not accepted. Default `__overflow__`.
   * A tenant over the cap keeps its own X-Scope-OrgID (isolation before cardinality); a tenant that
   * `acceptTenant` refuses is sent with `defaultOrgId` (or none), so unknown ids cannot create Loki tenants.
   */
  readonly tenantOverflowValue?: string;
  /** `tenant_id` label value for records logged outside any tenant. Default `__none__`. */
  readonly noTenantValue?: string;
  /**
   * X-Scope-OrgID for records logged outside any tenant; omit to send them without the header
   * (single-tenant Loki, or a gateway that sets it).
   */
  readonly defaultOrgId?: string;
  /** Maps a tenant id to its X-Scope-OrgID. Default: the tenant id itself. */
  readonly orgIdForTenant?: (tenantId: string) => string;
  /** Extra headers on every push (e.g. Authorization). X-Scope-OrgID here is ignored. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most records in one push request. Default 1000. */
  readonly batchSize?: number;
  /** Most line bytes in one push request. Default 1 MiB. */
  readonly batchBytes?: number;
  /** Push buffered records at least this often. Default 1000 ms. */
  readonly intervalMs?: number;
  /** Most records buffered while Loki is slow or down. Default 10 000. */
  readonly maxBufferedRecords?: number;
  /** Most line bytes buffered while Loki is slow or down. Default 16 MiB. */
  readonly maxBufferedBytes?: number;
  /** Abort a push that has not completed after this long. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** First retry delay after a failed push; doubles up to `maxBackoffMs`. Default 500 ms. */
  readonly minBackoffMs?: number;
  /** Longest retry delay. Default 30 000 ms. */
  readonly maxBackoffMs?: number;
  /** gzip the JSON body (Content-Encoding: gzip). Default true. */
  readonly gzip?: boolean;
}

export interface LoggerOptions {
  /** `service` field and Loki label. */
  readonly service: string;
  /** `environment` field and Loki label. Default `process.env.NODE_ENV ?? 'development'`. */
  readonly environment?: string;
  /** Lowest level written. Default `info`. */
  readonly level?: string;
  /** Where JSON lines go; `false` for none. Default `process.stdout`. */
  readonly stream?: NodeJS.WritableStream | false;
  /** Push to Loki as well. */
  readonly loki?: LokiOptions;
  /** Applied to every record before any output (stdout and Loki). */
  readonly redact?: RedactHook;
  /**
   * Per-tenant budget of log lines (the tenant limiter of `@autoweave/tenant-isolation`): a record of
   * a tenant whose `logs` bucket is empty is dropped everywhere and counted (`tenant_budget`).
   * Records outside any tenant are not budgeted.
   */
  readonly tenantBudget?: Pick<TelemetryBudget, 'tryTake'>;
  /** Largest serialized record in bytes; bigger ones are truncated with a marker. Default 65 536. */
  readonly maxRecordBytes?: number;
  /** Where the logging metrics go. Default `metrics.getMeterProvider()` at creation. */
  readonly meterProvider?: MeterProvider;
  /** Longest `shutdown()` waits for pending Loki pushes. Default 5000 ms. */
  readonly shutdownTimeoutMs?: number;
}

export interface LoggingStats {
  /** Records Loki accepted. */
  readonly sent: number;
  /** Records not delivered, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Records truncated to `maxRecordBytes`. */
  readonly truncated: number;
  /** Records waiting for Loki (including an in-flight push). */
  readonly buffered: number;
  readonly bufferedBytes: number;
  /** Push attempts that failed and will be retried (5xx, 429, network, timeout). */
  readonly retries: number;
  /** Records whose tenant got the overflow `tenant_id` label. */
  readonly tenantLabelOverflows: number;
}

/** What `createLogger` returns; its functions need no `this`, so they can be destructured. */
export interface LoggerHandle {
  /** The root winston logger. */
  readonly logger: Logger;
  /** A child logger whose records carry `meta`, e.g. `{ component: 'usb' }`. */
  readonly child: (meta: Record<string, unknown>) => Logger;
  /** Waits until buffered Loki records are pushed (or `timeoutMs`, default `shutdownTimeoutMs`, passes). */
  readonly flush: (timeoutMs?: number) => Promise<void>;
  /** Flushes, then stops pushing and releases timers and sockets. Safe to call twice. */
  readonly shutdown: () => Promise<void>;
  readonly stats: () => LoggingStats;
}
