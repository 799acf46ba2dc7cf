// What an error in a GraphQL result means for telemetry: its code for the `code` label, whether the
// server meant it (a GraphQLError raised on purpose) and the underlying exception to record on spans.
import { isOriginalGraphQLError } from '@envelop/core';
import { SpanStatusCode, type Span } from '@opentelemetry/api';

/** The phase an error came from, which names it when it carries no `extensions.code`. */
export type ErrorStage = 'parse' | 'validate' | 'context' | 'execute';

const STAGE_CODES: Record<ErrorStage, string> = {
  parse: 'GRAPHQL_PARSE_FAILED',
  validate: 'GRAPHQL_VALIDATION_FAILED',
  context: 'UNSPECIFIED',
  execute: 'UNSPECIFIED',
};

/** Exceptions recorded per span: enough to debug, bounded for a result with thousands of errors. */
export const MAX_RECORDED_ERRORS = 10;
const MAX_MESSAGE = 512;

function extensionCode(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}

/**
 * `extensions.code` when present; otherwise `INTERNAL_SERVER_ERROR` for errors the server did not mean
 * (what a masking server answers), else the stage's code (`GRAPHQL_PARSE_FAILED`, ...).
 */
export function errorCode(error: unknown, stage: ErrorStage): string {
  const code = extensionCode(error);
  if (code !== undefined) return code;
  if (stage === 'parse' || stage === 'validate') return STAGE_CODES[stage];
  return isOriginalGraphQLError(error) ? STAGE_CODES[stage] : 'INTERNAL_SERVER_ERROR';
}

/** The innermost `originalError` (the resolver's own exception), or `error` itself. */
export function underlying(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 8; i++) {
    const next = (current as { originalError?: unknown } | null)?.originalError;
    if (next === undefined || next === null) break;
    current = next;
  }
  return current;
}

export function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

/** Records `error` as an exception event (the underlying one, with its stack). */
export function recordError(span: Span, error: unknown): void {
  const inner = underlying(error);
  span.recordException(inner instanceof Error ? inner : { message: messageOf(inner) });
}

/** ERROR status plus up to {@link MAX_RECORDED_ERRORS} exception events. */
export function recordErrors(span: Span, errors: readonly unknown[]): void {
  const first = errors[0];
  if (first === undefined) return;
  for (let i = 0; i < errors.length && i < MAX_RECORDED_ERRORS; i++) recordError(span, errors[i]);
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(first) });
}
