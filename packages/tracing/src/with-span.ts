// Runs a function inside an active span and makes sure the span always ends, with the error recorded.
import { SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { WithSpanOptions } from './types';

// A status message is not covered by span limits; keep hostile error messages from bloating spans.
const MAX_STATUS_MESSAGE = 1024;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function recordFailure(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, MAX_STATUS_MESSAGE) });
}

/**
 * Runs `fn` in a new active span named `name` and returns what `fn` returns (for a promise, a
 * promise of the same value). The span ends when `fn` returns or its promise settles. If `fn`
 * throws or rejects, the span gets an `exception` event and ERROR status, and the original error
 * is rethrown unchanged.
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  fn: (span: Span) => T,
  options: WithSpanOptions = {},
): T {
  const { parent, ...spanOptions } = options;
  const run = (span: Span): T => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      recordFailure(span, error);
      span.end();
      throw error;
    }
    if (!isPromiseLike(result)) {
      span.end();
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        recordFailure(span, error);
        span.end();
        throw error;
      },
    ) as T;
  };
  return parent === undefined
    ? tracer.startActiveSpan(name, spanOptions, run)
    : tracer.startActiveSpan(name, spanOptions, parent, run);
}
