// Wraps the schema's field resolvers once, when the schema is set: a resolver of a sampled operation gets
// a child span (parented to the nearest traced ancestor field) and a duration observation (every
// operation's, with `resolverMetrics: 'all'`). A field whose resolver has lately been trivial (returned
// a value, not a promise, in well under a millisecond) is only timed: its span would cost the app more
// than the resolver and show nothing the parent's does not. A resolver that returns an Error ends its
// span with ERROR status, like one that throws. Outside our operations (another server sharing the
// schema) the wrapper only forwards the call.
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import {
  defaultFieldResolver,
  isIntrospectionType,
  isObjectType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { BoundHistogram } from '@autoweave/metrics';
import type { LabelGuard } from '@autoweave/tenant-isolation';
import { messageOf, recordError } from './errors';
import type { ReportFailure } from './failures';
import type { Instruments } from './instruments';
import type { Operation, OperationTracker } from './operation';
import type { ResolverTracing } from './types';

type Resolver = GraphQLFieldResolver<unknown, unknown, Record<string, unknown>>;
type Path = GraphQLResolveInfo['path'];

/** A call is trivial when it returns a value (not a promise, not an Error) in less than this. */
export const TRIVIAL_RESOLVER_MS = 0.1;
/** Consecutive trivial calls after which a field gets no span until a call is not trivial. */
export const TRIVIAL_RESOLVER_STREAK = 16;

interface FieldEntry {
  readonly spanName: string;
  readonly fieldName: string;
  readonly parentType: string;
  readonly returnType: string;
  /** `Type.field` after the field-label guard. */
  readonly label: string;
  /** Bound once, on the first observation, so unused fields create no series. */
  series: BoundHistogram | undefined;
  /** Consecutive timed calls that were trivial; from `TRIVIAL_RESOLVER_STREAK` on, no span. */
  trivialStreak: number;
}

interface Wrapped {
  readonly field: GraphQLField<unknown, unknown>;
  readonly original: Resolver | undefined;
  readonly wrapper: Resolver;
}

export interface ResolverConfig {
  readonly mode: ResolverTracing;
  readonly tracer: Tracer;
  readonly tracker: OperationTracker;
  readonly instruments: Instruments | undefined;
  readonly fields: LabelGuard;
  readonly maxSpans: number;
  readonly firstListItemOnly: boolean;
  /** Spans for trivial resolvers too. */
  readonly traceTrivial: boolean;
  /** Time resolvers of every operation, not only of sampled ones. */
  readonly timeAll: boolean;
  readonly reportFailure: ReportFailure;
}

function isDefaultResolver(resolve: Resolver | undefined): boolean {
  return (
    resolve === undefined ||
    resolve === defaultFieldResolver ||
    resolve.name === 'defaultFieldResolver' ||
    resolve.name === 'defaultMergedResolver'
  );
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `series.observe(seconds)`, as a function context.with can call without a closure per call. */
const observeIn = (series: BoundHistogram, seconds: number): void => series.observe(seconds);

/** True inside any list item but the first (`feed.3.author`, `feed.0.comments.1.author`). */
function laterListItem(path: Path): boolean {
  for (let p: Path | undefined = path; p !== undefined; p = p.prev) {
    if (typeof p.key === 'number' && p.key > 0) return true;
  }
  return false;
}

/** `user.posts.0.title`, from the resolver's response path. */
function pathString(path: Path): string {
  const keys: (string | number)[] = [];
  for (let p: Path | undefined = path; p !== undefined; p = p.prev) keys.push(p.key);
  return keys.reverse().join('.');
}

export class ResolverInstrumentation {
  private readonly wrapped: Wrapped[] = [];
  private readonly seen = new WeakSet<object>();

  constructor(private readonly config: ResolverConfig) {}

  /** Wraps every object-type field of `schema` the mode selects; fields wrapped before are left alone. */
  wrap(schema: GraphQLSchema): void {
    if (this.config.mode === 'none') return;
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || isIntrospectionType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (this.seen.has(field)) continue;
        this.seen.add(field);
        const original = field.resolve as Resolver | undefined;
        if (this.config.mode === 'non-default' && isDefaultResolver(original)) continue;
        const key = `${type.name}.${field.name}`;
        const entry: FieldEntry = {
          spanName: `graphql.resolve ${key}`,
          fieldName: field.name,
          parentType: type.name,
          returnType: String(field.type),
          label: this.config.fields.bound(key),
          series: undefined,
          trivialStreak: 0,
        };
        const wrapper = this.wrapper(entry, original ?? defaultFieldResolver);
        field.resolve = wrapper;
        this.wrapped.push({ field: field as GraphQLField<unknown, unknown>, original, wrapper });
      }
    }
  }

  /** Puts the original resolvers back (where nobody replaced our wrapper since). */
  restore(): void {
    for (const { field, original, wrapper } of this.wrapped.splice(0)) {
      if (field.resolve !== wrapper) continue;
      if (original === undefined) delete field.resolve;
      else field.resolve = original;
    }
  }

  private wrapper(entry: FieldEntry, original: Resolver): Resolver {
    const { tracker } = this.config;
    const timeAll = this.config.timeAll && this.config.instruments !== undefined;
    return (source, args, ctx, info) => {
      // At low sampling no operation records most of the time: then there is nothing to look up.
      if (!timeAll && tracker.recordingOperations === 0) return original(source, args, ctx, info);
      const op = tracker.lookup(ctx);
      // The common case at low sampling: an unsampled operation, nothing to record, just the call.
      if (op === undefined || (!op.recording && !timeAll)) return original(source, args, ctx, info);
      return this.run(op, entry, original, source, args, ctx, info);
    };
  }

  private run(
    op: Operation,
    entry: FieldEntry,
    original: Resolver,
    source: unknown,
    args: Record<string, unknown>,
    ctx: unknown,
    info: GraphQLResolveInfo,
  ): unknown {
    const span = op.recording ? this.startSpan(op, entry, info) : undefined;
    const within = span === undefined ? undefined : trace.setSpan(context.active(), span);
    // Started after the span, so the resolver's duration (and whether it was trivial) leaves our cost out.
    const start = performance.now();
    let result: unknown;
    try {
      result =
        within === undefined
          ? original(source, args, ctx, info)
          : context.with(within, original, undefined, source, args, ctx, info);
    } catch (error) {
      this.settle(entry, start, span, within, error, true, false);
      throw error;
    }
    if (isPromiseLike(result)) {
      // graphql-js gets the resolver's own promise: settling hangs off the side (registered first, so
      // it runs before the executor resumes), with no extra promise hop for the field.
      result.then(
        (value) => this.settle(entry, start, span, within, value, false, true),
        (error: unknown) => this.settle(entry, start, span, within, error, true, true),
      );
      return result;
    }
    this.settle(entry, start, span, within, result, false, false);
    return result;
  }

  private startSpan(op: Operation, entry: FieldEntry, info: GraphQLResolveInfo): Span | undefined {
    try {
      if (
        op.resolverSpans >= this.config.maxSpans ||
        (!this.config.traceTrivial && entry.trivialStreak >= TRIVIAL_RESOLVER_STREAK) ||
        (this.config.firstListItemOnly && laterListItem(info.path))
      ) {
        op.skippedResolverSpans++;
        return undefined;
      }
      op.resolverSpans++;
      const byPath = (op.spansByPath ??= new Map<unknown, Span>());
      let parent: Span | undefined;
      for (let p = info.path.prev; p !== undefined && parent === undefined; p = p.prev)
        parent = byPath.get(p);
      parent ??= op.span;
      const span = this.config.tracer.startSpan(
        entry.spanName,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'graphql.field.name': entry.fieldName,
            'graphql.field.path': pathString(info.path),
            'graphql.field.type': entry.returnType,
            'graphql.parent.type': entry.parentType,
          },
        },
        parent === undefined ? context.active() : trace.setSpan(context.active(), parent),
      );
      byPath.set(info.path, span);
      return span;
    } catch (err) {
      this.config.reportFailure('resolve', err);
      return undefined;
    }
  }

  private settle(
    entry: FieldEntry,
    start: number,
    span: Span | undefined,
    within: Context | undefined,
    value: unknown,
    thrown: boolean,
    async: boolean,
  ): void {
    try {
      const failed = thrown || value instanceof Error;
      const ms = performance.now() - start;
      entry.trivialStreak = failed || async || ms >= TRIVIAL_RESOLVER_MS ? 0 : entry.trivialStreak + 1;
      const instruments = this.config.instruments;
      if (instruments !== undefined) {
        const series = (entry.series ??= instruments.resolverDuration.labels({ field: entry.label }));
        // Observed with the resolver's own span active, so that is the exemplar's span.
        if (within === undefined) series.observe(ms / 1000);
        else context.with(within, observeIn, undefined, series, ms / 1000);
      }
      if (span === undefined) return;
      // graphql-js turns a returned Error into a field error just like a thrown one; so do we.
      if (failed) {
        recordError(span, value);
        span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(value) });
      }
      span.end();
    } catch (err) {
      this.config.reportFailure('resolve', err);
    }
  }
}
