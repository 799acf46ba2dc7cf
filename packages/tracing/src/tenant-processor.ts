// Stamps the current tenant on every span as it starts, so every trace can be filtered by tenant.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TENANT_ATTRIBUTE, currentTenant, tenantFromContext } from '@autoweave/tenant-isolation';

/**
 * Sets `tenant.id` on each span at start: the tenant of `runWithTenant`, else a valid tenant in the
 * parent context's W3C baggage (one propagated from another process). Spans outside any tenant
 * get no attribute.
 */
export class TenantSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const tenant = currentTenant() ?? tenantFromContext(parentContext);
    if (tenant !== undefined) span.setAttribute(TENANT_ATTRIBUTE, tenant);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
