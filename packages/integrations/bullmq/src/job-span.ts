// BullMQ's Span on an OpenTelemetry span: translates BullMQ's `bullmq.*` attributes into the
// messaging semantic conventions, keeps job results off spans unless asked, bounds string values,
// and turns "job failed" into an ERROR status.
import {
  SpanStatusCode,
  type Attributes as OtelAttributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import type { AttributeValue, Attributes, Exception, Span as BullSpan, Time } from 'bullmq';

// BullMQ's attribute and event names (enums/telemetry-attributes in bullmq 6).
const QUEUE_NAME = 'bullmq.queue.name';
const JOB_ID = 'bullmq.job.id';
const JOB_RESULT = 'bullmq.job.result';
const FAILED_REASON = 'bullmq.job.failed.reason';
const JOB_FAILED_EVENT = 'job failed';

/** What every span of one telemetry object shares. */
export interface SpanSettings {
  readonly captureJobResult: boolean;
  readonly maxAttributeLength: number;
}

// The wrapper of each recording CONSUMER span, so the worker's `failed` listener (which only sees
// the active OpenTelemetry span) can hand the real Error, with its stack, to it.
const consumerSpans = new WeakMap<Span, JobSpan>();

/**
 * Records `error` on the job span active now (the worker emits `failed` inside it). Returns false
 * when the active span is not one of ours.
 */
export function recordJobError(active: Span | undefined, error: unknown): boolean {
  const span = active === undefined ? undefined : consumerSpans.get(active);
  if (span === undefined) return false;
  span.fail(error);
  return true;
}

/** No span: BullMQ's calls do nothing and the context it runs the operation in stays as it was. */
export class PassThroughSpan implements BullSpan<Context> {
  setSpanOnContext(ctx: Context): Context {
    return ctx;
  }
  setAttribute(): void {}
  setAttributes(): void {}
  addEvent(): void {}
  recordException(): void {}
  end(): void {}
}

/** Outside a recording span, every method returns at once: BullMQ sets attributes on unsampled spans too. */
export class JobSpan implements BullSpan<Context> {
  private exceptionRecorded = false;
  private readonly recording: boolean;

  constructor(
    readonly span: Span,
    private readonly settings: SpanSettings,
    consumer: boolean,
  ) {
    this.recording = span.isRecording();
    if (consumer && this.recording) consumerSpans.set(span, this);
  }

  setSpanOnContext(ctx: Context): Context {
    return trace.setSpan(ctx, this.span);
  }

  setAttribute(key: string, value: AttributeValue): void {
    if (!this.recording) return;
    this.span.setAttributes(this.translate({ [key]: value }));
  }

  setAttributes(attributes: Attributes): void {
    if (!this.recording) return;
    this.span.setAttributes(this.translate(attributes));
  }

  addEvent(name: string, attributes?: Attributes): void {
    if (!this.recording) return;
    if (name === JOB_FAILED_EVENT) {
      const reason = attributes?.[FAILED_REASON];
      this.fail(typeof reason === 'string' ? { name: 'Error', message: reason } : undefined);
    }
    this.span.addEvent(name, attributes === undefined ? undefined : this.translate(attributes));
  }

  recordException(exception: Exception, time?: Time): void {
    if (!this.recording) return;
    this.exceptionRecorded = true;
    this.span.recordException(exception, time);
    const message = typeof exception === 'string' ? exception : exception.message;
    this.span.setStatus({ code: SpanStatusCode.ERROR, ...(message !== undefined ? { message } : {}) });
  }

  end(): void {
    this.span.end();
  }

  /** The job's attempt failed: ERROR status, and the exception once (the real Error wins if it comes first). */
  fail(error: unknown): void {
    if (!this.recording) return;
    if (this.exceptionRecorded) return;
    if (error instanceof Error || (typeof error === 'object' && error !== null)) {
      this.recordException(error as Exception);
    } else if (typeof error === 'string') {
      this.recordException(error);
    } else {
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  private translate(attributes: Attributes): OtelAttributes {
    const out: OtelAttributes = {};
    const max = this.settings.maxAttributeLength;
    for (const key in attributes) {
      let value = attributes[key];
      if (value === undefined || value === null) continue;
      if (key === JOB_RESULT && !this.settings.captureJobResult) continue;
      if (typeof value === 'string' && value.length > max) value = value.slice(0, max);
      out[key] = value;
      if (key === QUEUE_NAME) out['messaging.destination.name'] = value;
      else if (key === JOB_ID) out['messaging.message.id'] = value;
    }
    return out;
  }
}
