// The three signals wired to the tenant policies: bounded tenant labels, per-tenant budgets applied
// before export, redaction (and encryption) of logs and spans, and Loki org ids from the registry.
import { createLogger, type LoggerHandle } from '@autoweave/logging';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { observeAuditLog, observeTenantBudgets } from '@autoweave/tenant-isolation';
import { startTracing, type TracingHandle } from '@autoweave/tracing';
import type { Policies } from './policies';

/** The `tenant_id` value for ids the registry does not know, in metrics and Loki labels. */
export const UNKNOWN_TENANT = '__unknown__';
/** The Loki org of records logged outside any tenant (refused requests, startup, shutdown). */
export const PLATFORM_ORG_ID = 'platform';

export interface TelemetryOptions {
  /** OTLP/gRPC endpoint for spans; without it spans stay in the in-process buffer only. */
  readonly otlpEndpoint?: string | undefined;
  /** Loki base URL; without it logs go to `logStream` only. */
  readonly lokiUrl?: string | undefined;
  /** Where JSON log lines are written besides Loki; false for nowhere. */
  readonly logStream: NodeJS.WritableStream | false;
}

export interface Telemetry {
  readonly metrics: MetricsHandle;
  readonly tracing: TracingHandle;
  readonly logs: LoggerHandle;
  /** Flushes and stops all three, spans and logs first (their pipelines report into the metrics). */
  shutdown(): Promise<void>;
}

export function createTelemetry(policies: Policies, options: TelemetryOptions): Telemetry {
  const { registry, limiter, redactor, audit } = policies;

  const metrics = createMetrics({
    // Registered tenants get their own `tenant_id`; any other value (a claimed, unverified id)
    // becomes __unknown__, so clients cannot create series.
    tenantBound: {
      allow: registry.ids(),
      accept: (id) => registry.has(id),
      overflowValue: UNKNOWN_TENANT,
    },
    tenantBudget: limiter,
  });
  const meter = metrics.meterProvider.getMeter('tenant-gateway');
  const budgetMetrics = observeTenantBudgets(limiter, meter);
  const auditMetrics = observeAuditLog(audit, meter);

  const tracing = startTracing({
    serviceName: 'tenant-gateway',
    serviceVersion: '0.0.0',
    environment: 'development',
    meterProvider: metrics.meterProvider,
    // Keep the last traces in memory for GET /traces even when exporting.
    recentTraces: true,
    tenantBudget: limiter,
    redact: redactor,
    ...(options.otlpEndpoint === undefined ? {} : { endpoint: options.otlpEndpoint }),
  });

  const logs = createLogger({
    service: 'tenant-gateway',
    environment: 'development',
    meterProvider: metrics.meterProvider,
    stream: options.logStream,
    redact: redactor.logHook,
    tenantBudget: limiter,
    ...(options.lokiUrl === undefined
      ? {}
      : {
          loki: {
            url: options.lokiUrl,
            tenants: registry.ids(),
            acceptTenant: (id: string) => registry.has(id),
            orgIdForTenant: (id: string) => registry.get(id)?.orgId ?? id,
            tenantOverflowValue: UNKNOWN_TENANT,
            defaultOrgId: PLATFORM_ORG_ID,
          },
        }),
  });

  return {
    metrics,
    tracing,
    logs,
    async shutdown() {
      await tracing.shutdown();
      await logs.shutdown();
      budgetMetrics.stop();
      auditMetrics.stop();
      await metrics.shutdown();
    },
  };
}
