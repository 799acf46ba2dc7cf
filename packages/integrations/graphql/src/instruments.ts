// The plugin's Prometheus instruments, created once per metrics handle: two plugins (or the plugin and
// the standalone guards) on one handle share them instead of failing on a duplicate registration.
import type { MetricsCounter, MetricsHandle, MetricsHistogram } from '@autoweave/metrics';
import type { GuardRule, OperationOutcome } from './types';

export const METRICS = Object.freeze({
  operationDuration: 'autoweave_graphql_operation_duration_seconds',
  resolverDuration: 'autoweave_graphql_resolver_duration_seconds',
  errors: 'autoweave_graphql_errors_total',
  rejected: 'autoweave_graphql_operations_rejected_total',
  internalErrors: 'autoweave_graphql_instrumentation_errors_total',
});

export const OUTCOMES: readonly OperationOutcome[] = ['success', 'error', 'invalid', 'rejected'];
export const OPERATION_TYPES = ['query', 'mutation', 'subscription', 'unknown'] as const;
export const GUARD_RULES: readonly GuardRule[] = ['depth', 'aliases', 'tokens', 'cost', 'directives'];
/** Where an internal failure happened; the `stage` label of the instrumentation error counter. */
export const STAGES = [
  'parse',
  'validate',
  'context',
  'execute',
  'resolve',
  'schema',
  'mask',
  'guard',
] as const;
export type Stage = (typeof STAGES)[number];

/** Error codes always accepted in the `code` label; others count against `ERROR_CODE_CAP`. */
export const KNOWN_ERROR_CODES: readonly string[] = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_LIMIT_EXCEEDED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'PERSISTED_QUERY_NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
  'UNSPECIFIED',
];
const ERROR_CODE_CAP = 30;

/** Resolver durations are short: sub-millisecond buckets up to 2.5 s. */
export const RESOLVER_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
/** Whole operations: 5 ms to 10 s. */
export const OPERATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Instruments {
  readonly operationDuration: MetricsHistogram<'operation_name' | 'operation_type' | 'outcome'>;
  readonly resolverDuration: MetricsHistogram<'field'>;
  readonly errors: MetricsCounter<'code'>;
  readonly rejected: MetricsCounter<'rule'>;
  readonly internalErrors: MetricsCounter<'stage'>;
}

const shared = new WeakMap<MetricsHandle, Instruments>();

/**
 * The instruments of `metrics`, created on first use. `operationNameValues` and `fieldValues` size the
 * handle's own label guards so that they never cut below the plugin's (tighter) bounds.
 */
export function instrumentsFor(
  metrics: MetricsHandle,
  operationNameValues: number,
  fieldValues: number,
): Instruments {
  const existing = shared.get(metrics);
  if (existing !== undefined) return existing;
  const created: Instruments = {
    operationDuration: metrics.histogram({
      name: METRICS.operationDuration,
      help: 'GraphQL operations from parse to result, by bounded operation name, type and outcome.',
      labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
      labelBounds: {
        operation_name: { cap: operationNameValues + 2 },
        operation_type: { allow: OPERATION_TYPES, allowOnly: true },
        outcome: { allow: OUTCOMES, allowOnly: true },
      },
      buckets: OPERATION_BUCKETS,
    }),
    resolverDuration: metrics.histogram({
      name: METRICS.resolverDuration,
      help: 'GraphQL field resolver durations by Type.field (bounded).',
      labelNames: ['field'] as const,
      labelBounds: { field: { cap: fieldValues } },
      buckets: RESOLVER_BUCKETS,
    }),
    errors: metrics.counter({
      name: METRICS.errors,
      help: 'GraphQL errors returned to clients, by extensions.code (parse and validation errors included).',
      labelNames: ['code'] as const,
      labelBounds: { code: { allow: KNOWN_ERROR_CODES, cap: ERROR_CODE_CAP } },
    }),
    rejected: metrics.counter({
      name: METRICS.rejected,
      help: 'GraphQL operations refused by a guard (depth, aliases, tokens, cost, directives).',
      labelNames: ['rule'] as const,
      labelBounds: { rule: { allow: GUARD_RULES, allowOnly: true } },
    }),
    internalErrors: metrics.counter({
      name: METRICS.internalErrors,
      help: 'Failures inside the GraphQL instrumentation itself, caught so the operation went on.',
      labelNames: ['stage'] as const,
      labelBounds: { stage: { allow: STAGES, allowOnly: true } },
    }),
  };
  shared.set(metrics, created);
  return created;
}
