// Public types of @autoweave/integration-graphql.
import type { Plugin } from '@envelop/core';
import type { TracerProvider } from '@opentelemetry/api';
import type { MetricsHandle } from '@autoweave/metrics';
import type { AttributeRedactor } from '@autoweave/tenant-isolation';

/** Which resolvers get a child span and a duration observation. */
export type ResolverTracing =
  /** Fields with a resolver of their own; fields answered by the default resolver (a property read) are skipped. */
  | 'non-default'
  /** Every field, default resolvers included (costly on large lists). */
  | 'all'
  /** No resolver is wrapped: operation spans and metrics only. */
  | 'none';

/** A guard that can reject an operation; the `rule` label of `autoweave_graphql_operations_rejected_total`. */
export type GuardRule = 'depth' | 'aliases' | 'tokens' | 'cost' | 'directives';

/** How an operation ended; the `outcome` label of `autoweave_graphql_operation_duration_seconds`. */
export type OperationOutcome =
  /** Executed without errors. */
  | 'success'
  /** Executed (or its context failed to build) and the result carries errors. */
  | 'error'
  /** The document did not parse or did not validate against the schema. */
  | 'invalid'
  /** A guard (depth, aliases, tokens, cost, directives) refused the document. */
  | 'rejected';

/** The logger interface used for masked errors and internal failures; @autoweave/logging and winston fit. */
export interface GraphQLLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Limits for a public GraphQL API. `false` turns one limit off; every limit counts its rejections. */
export interface GraphQLGuardOptions {
  /** Deepest field nesting (introspection ignored). Default 10. */
  readonly maxDepth?: number | false;
  /** Aliased fields per operation. Default 15. */
  readonly maxAliases?: number | false;
  /** Lexical tokens per document, checked while parsing. Default 1000. */
  readonly maxTokens?: number | false;
  /** graphql-armor cost (objects 2, scalars 1, ×1.5 per level, × `first`/`last`). Default 5000. */
  readonly maxCost?: number | false;
  /** Directives per operation. Default 50. */
  readonly maxDirectives?: number | false;
  /** Remove "Did you mean …?" from validation errors so the schema cannot be guessed. Default true. */
  readonly blockFieldSuggestions?: boolean;
}

/** Options of `useAutoweaveGraphQLGuards` when used on its own. */
export interface GraphQLGuardsPluginOptions extends GraphQLGuardOptions {
  /** Where `autoweave_graphql_operations_rejected_total` goes; without it rejections are not counted. */
  readonly metrics?: MetricsHandle;
  /** Told (`warn`) about internal failures of the counting. */
  readonly logger?: GraphQLLogger;
}

/** Bounds the client-controlled operation names used in span names and metric labels. */
export interface OperationNameBound {
  /** Names always accepted (your persisted or known operations). */
  readonly allow?: readonly string[];
  /** Distinct names accepted besides `allow` before `__overflow__`. Default 50; 0 with `allow` = allow-list only. */
  readonly cap?: number;
}

/**
 * Opt-in hook that picks variables to put on the operation span. What it returns goes through the
 * redactor (`redactor`) before it becomes `autoweave.graphql.variables.<key>` attributes.
 */
export type VariableAttributes = (
  variables: Readonly<Record<string, unknown>>,
  operationName: string | undefined,
) => Readonly<Record<string, unknown>> | undefined;

export interface AutoweaveGraphQLOptions {
  /** Where spans go. Default `trace.getTracerProvider()`; the plugin never registers a global. */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go; without it, spans only. */
  readonly metrics?: MetricsHandle;
  /** Which resolvers get child spans and duration observations. Default `'non-default'`. */
  readonly resolvers?: ResolverTracing;
  /**
   * Which operations observe `autoweave_graphql_resolver_duration_seconds`: `'sampled'` (default) only
   * those whose trace is sampled, so at 10% sampling resolvers cost nothing in nine operations of ten and
   * every observation has a trace exemplar (the resolver's span, or the nearest traced ancestor's);
   * `'all'` every operation (exact counts, ~0.5-1.5 µs per resolver call). Without a sampling tracer
   * provider use `'all'`.
   */
  readonly resolverMetrics?: 'sampled' | 'all';
  /** Resolver spans per operation; later resolvers are only counted on the operation span. Default 200. */
  readonly maxResolverSpans?: number;
  /**
   * Which items of a list get resolver spans: `'first'` (default) traces the fields of item 0 of every
   * list and only times the others, so a page of 50 posts costs the spans of one; `'all'` traces every item.
   */
  readonly listItemSpans?: 'first' | 'all';
  /**
   * Spans for trivial resolvers too. Default false: a field whose last 16 timed calls each returned a
   * value (not a promise, not an Error) in under 0.1 ms is only timed, and counted in
   * `autoweave.graphql.resolver_spans_skipped`; its next call that returns a promise, fails or takes
   * longer gives it spans again. Such a span costs the application ~20 µs and shows nothing its parent's
   * does not; spans a trivial resolver starts itself go under the nearest traced ancestor.
   */
  readonly traceTrivialResolvers?: boolean;
  /**
   * An operation under an unsampled parent span (an HTTP server span your sampler dropped) gets no span
   * of its own and runs in the parent's context: what a ParentBased sampler (the OpenTelemetry default)
   * decides anyway, without a placeholder span per operation. Set false when your sampler may record
   * children of unsampled parents. Default true.
   */
  readonly followParentSampling?: boolean;
  /** Distinct `field` label values (`Type.field`) before `__overflow__`. Default 200. */
  readonly resolverFieldCap?: number;
  /** Operation names: an allow-list (array) or `{ allow?, cap? }`. Default `{ cap: 50 }`. */
  readonly operationNames?: readonly string[] | OperationNameBound;
  /** Put the document text (redacted, at most 8 KiB) on the operation span as `graphql.document`. Default false. */
  readonly includeDocument?: boolean;
  /** Opt-in: variables to record on the operation span, redacted. Default none. */
  readonly variableAttributes?: VariableAttributes;
  /** Redacts `graphql.document` and variable attributes. Default `createRedactor()` of @autoweave/tenant-isolation. */
  readonly redactor?: AttributeRedactor;
  /** Public-API limits; `false` turns all of them off. Default: the defaults of {@link GraphQLGuardOptions}. */
  readonly guards?: GraphQLGuardOptions | false;
  /** Replace unexpected errors by "Unexpected error." in responses. Default `process.env.NODE_ENV === 'production'`. */
  readonly maskErrors?: boolean;
  /** Gets masked errors (`error`) and internal failures (`warn`). */
  readonly logger?: GraphQLLogger;
}

/** The envelop plugin, plus `shutdown()` which puts the schema's resolvers back and stops recording. */
export interface AutoweaveGraphQLPlugin extends Plugin {
  /** Restores the wrapped resolvers and turns every hook into a no-op. Idempotent. */
  shutdown(): Promise<void>;
}
