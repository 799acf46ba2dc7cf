// Per-tenant span budgets and attribute redaction, applied inside the tracing pipeline so a tenant
// over its budget loses only its own spans, and no span leaves the process unredacted.
import {
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
} from '@opentelemetry/api';
import {
  SamplingDecision,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  TENANT_ATTRIBUTE,
  currentTenant,
  tenantFromContext,
  type AttributeRedactor,
  type TelemetryBudget,
} from '@autoweave/tenant-isolation';

const NOT_RECORD: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * Wraps the sampler: a span the inner sampler keeps that starts a local trace (no parent, or a
 * remote one) is kept only if its tenant's `spans` bucket has a token; a child of a kept local span
 * is always kept and charged, possibly into debt, so traces stay whole and the next roots pay.
 * Spans outside any tenant are not budgeted.
 */
export class TenantBudgetSampler implements Sampler {
  constructor(
    private readonly inner: Sampler,
    private readonly budget: TelemetryBudget,
  ) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const result = this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    if (result.decision !== SamplingDecision.RECORD_AND_SAMPLED) return result;
    const tenant = currentTenant() ?? tenantFromContext(context);
    if (tenant === undefined) return result;
    try {
      const parent = trace.getSpanContext(context);
      if (parent !== undefined && parent.isRemote !== true && isSpanContextValid(parent)) {
        this.budget.charge(tenant, 'spans');
        return result;
      }
      return this.budget.tryTake(tenant, 'spans') ? result : NOT_RECORD;
    } catch {
      // A failing budget must not cost the app its traces.
      return result;
    }
  }

  toString(): string {
    return `TenantBudget{${this.inner.toString()}}`;
  }
}

/**
 * Redacts span and event attributes, the span name and the status message (where `withSpan` puts
 * error messages) as the span ends (`onEnding`, while it is still writable), before any exporting
 * processor sees it. The tenant is the span's own `tenant.id`. A redactor that throws makes the span
 * lose its attributes and status message rather than leak them.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly redactor: AttributeRedactor) {}

  onStart(): void {}

  onEnding(span: Span): void {
    const tenant = span.attributes[TENANT_ATTRIBUTE];
    const tenantId = typeof tenant === 'string' ? tenant : undefined;
    replaceAttributes(span.attributes, this.redactor, tenantId);
    redactTexts(span, this.redactor, tenantId);
    for (const event of span.events) {
      if (event.attributes !== undefined) replaceAttributes(event.attributes, this.redactor, tenantId);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The name and status message through the same redactor, as two attributes of one call. */
function redactTexts(span: Span, redactor: AttributeRedactor, tenantId: string | undefined): void {
  const message = span.status.message;
  let redacted: Record<string, unknown>;
  try {
    redacted = redactor.redactAttributes(
      message === undefined ? { [NAME]: span.name } : { [NAME]: span.name, [MESSAGE]: message },
      tenantId,
    );
  } catch {
    if (message !== undefined) span.setStatus({ code: span.status.code, message: '[redaction failed]' });
    return;
  }
  const name = redacted[NAME];
  if (typeof name === 'string' && name !== span.name) span.updateName(name);
  const newMessage = redacted[MESSAGE];
  if (message !== undefined && newMessage !== message) {
    span.setStatus({
      code: span.status.code,
      message: typeof newMessage === 'string' ? newMessage : '[redacted]',
    });
  }
}

// Keys no deny list names, so only the value patterns apply to the name and the message.
const NAME = 'autoweave.span.name';
const MESSAGE = 'autoweave.span.status_message';

/** Rewrites an attribute map in place with its redacted copy (the SDK keeps plain objects). */
function replaceAttributes(
  target: Attributes,
  redactor: AttributeRedactor,
  tenantId: string | undefined,
): void {
  const keys = Object.keys(target);
  if (keys.length === 0) return;
  const writable = target as Record<string, unknown>;
  let redacted: Record<string, unknown>;
  try {
    redacted = redactor.redactAttributes(target, tenantId);
  } catch {
    for (const key of keys) if (key !== TENANT_ATTRIBUTE) delete writable[key];
    writable['autoweave.redaction.failed'] = true;
    return;
  }
  for (const key of keys) if (!(key in redacted)) delete writable[key];
  for (const [key, value] of Object.entries(redacted)) {
    if (writable[key] !== value) writable[key] = value;
  }
}
