// One GraphQL operation from parse to result: its state (kept on the envelop context object), its span,
// and what is recorded when it ends, in whichever phase that is (parse, validate, context or execute).
// No span is open before execute starts, so an operation some other plugin answers early leaks nothing.
import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  TraceFlags,
  context,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { getOperationAST, type DocumentNode } from 'graphql';
import {
  TENANT_ATTRIBUTE,
  currentTenant,
  type AttributeRedactor,
  type LabelGuard,
} from '@autoweave/tenant-isolation';
import { documentHash, documentText } from './document';
import { errorCode, messageOf, recordErrors, type ErrorStage } from './errors';
import type { ReportFailure } from './failures';
import { ruleOf } from './guards';
import type { Instruments } from './instruments';
import type { BoundHistogram } from '@autoweave/metrics';
import type { OperationOutcome, VariableAttributes } from './types';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** `operation_name` of unnamed operations; `__` names are reserved by GraphQL, so no client can send it. */
export const ANONYMOUS_OPERATION = '__anonymous__';
/** `operation_name` of documents that did not parse. */
export const UNPARSED_OPERATION = '__unparsed__';

const MAX_NAME_ATTRIBUTE = 128;
/** Stands in for the span while the tracer is asked, so a tracer that throws is asked only once. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const MAX_VARIABLE_ATTRIBUTES = 32;
const MAX_VARIABLE_VALUE = 256;

export interface Operation {
  /** `performance.now()` when the operation began (parse, or execute when parse was not seen). */
  readonly start: number;
  type: OperationType;
  /** The operation's own name (client-controlled), when it has one. */
  name: string | undefined;
  /** `name` bounded by the operation-name guard: the metric label and span-name part. */
  nameLabel: string;
  document: DocumentNode | undefined;
  /** The operation name `describe` was asked for, to skip describing the same thing twice. */
  requestedName: string | undefined;
  span: Span | undefined;
  /** True while the operation's span records: resolvers add child spans only then. */
  recording: boolean;
  finished: boolean;
  resolverSpans: number;
  /** Resolver calls that got no span (list items after the first, or beyond `maxResolverSpans`). */
  skippedResolverSpans: number;
  /** Resolver spans by their `info.path` object, to parent nested resolvers; created on first use. */
  spansByPath: Map<unknown, Span> | undefined;
}

export interface TrackerConfig {
  readonly tracer: Tracer;
  readonly instruments: Instruments | undefined;
  readonly names: LabelGuard;
  readonly includeDocument: boolean;
  /** No span of its own for an operation under an unsampled parent. */
  readonly followParentSampling: boolean;
  readonly variableAttributes: VariableAttributes | undefined;
  readonly redactor: AttributeRedactor | undefined;
  readonly reportFailure: ReportFailure;
}

function newOperation(): Operation {
  return {
    start: performance.now(),
    type: 'unknown',
    name: undefined,
    nameLabel: UNPARSED_OPERATION,
    document: undefined,
    requestedName: undefined,
    span: undefined,
    recording: false,
    finished: false,
    resolverSpans: 0,
    skippedResolverSpans: 0,
    spansByPath: undefined,
  };
}

function hasUnsampledParent(ctx: Context): boolean {
  const parent = trace.getSpanContext(ctx);
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === 0 && isSpanContextValid(parent);
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function attributeValue(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'string') {
    return value.length > MAX_VARIABLE_VALUE ? `${value.slice(0, MAX_VARIABLE_VALUE)}…` : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return undefined;
  try {
    return attributeValue(JSON.stringify(value));
  } catch {
    return undefined;
  }
}

export class OperationTracker {
  // The operation lives on the context object under a symbol of this tracker: a property read is what
  // every resolver call pays, and unlike a WeakMap entry (an ephemeron) it adds nothing to each GC.
  // A frozen context falls back to the WeakMap.
  private readonly key = Symbol('autoweave.graphql.operation');
  private readonly frozen = new WeakMap<object, Operation>();
  /**
   * Operations whose span records and that have not finished: while there are none (most of the
   * time at low sampling), a resolver wrapper needs not look its operation up.
   */
  recordingOperations = 0;
  /** The operation-duration series by name, type and outcome, bound on first use. */
  private readonly durationSeries = new Map<string, BoundHistogram>();

  constructor(private readonly config: TrackerConfig) {}

  private get(ctx: object): Operation | undefined {
    return (ctx as Record<symbol, Operation | undefined>)[this.key] ?? this.frozen.get(ctx);
  }

  private set(ctx: object, op: Operation): void {
    if (!Reflect.set(ctx, this.key, op)) this.frozen.set(ctx, op);
  }

  /** The unfinished operation running with this context value (what resolvers receive), if any. */
  lookup(ctx: unknown): Operation | undefined {
    if (!isObject(ctx)) return undefined;
    const op = this.get(ctx);
    return op === undefined || op.finished ? undefined : op;
  }

  /** A new operation for `ctx`: parse is starting. */
  begin(ctx: object): void {
    this.set(ctx, newOperation());
  }

  /** The current operation of `ctx`, or a new one when parse was not seen (a pre-parsed document). */
  current(ctx: object): Operation {
    let op = this.get(ctx);
    if (op === undefined || op.finished) {
      op = newOperation();
      this.set(ctx, op);
    }
    return op;
  }

  /** Takes type and name from the operation `document` selects. */
  describe(op: Operation, document: DocumentNode, operationName: unknown): void {
    const requested = typeof operationName === 'string' ? operationName : undefined;
    if (op.document === document && op.requestedName === requested) return;
    op.document = document;
    op.requestedName = requested;
    const definition = getOperationAST(document, requested);
    op.type = definition?.operation ?? 'unknown';
    const name = definition?.name?.value;
    op.name = name === undefined ? undefined : name.slice(0, MAX_NAME_ATTRIBUTE);
    op.nameLabel = name === undefined ? ANONYMOUS_OPERATION : this.config.names.bound(name);
  }

  /** Starts the operation's span when execute (or subscribe) begins; resolvers trace only if it records. */
  startSpan(op: Operation, variables: unknown): Span {
    if (this.config.followParentSampling && hasUnsampledParent(context.active())) {
      // What a ParentBased sampler decides anyway, without paying for a placeholder span.
      op.span = NO_SPAN;
      return NO_SPAN;
    }
    const span = this.openSpan(op);
    if (span.isRecording()) {
      op.recording = true;
      this.recordingOperations++;
      this.decorate(op, span, variables);
    }
    return span;
  }

  /** Ends `op` with `errors` from `stage`: metrics, then the span (opened now if execute never started). */
  finish(op: Operation, stage: ErrorStage, errors: readonly unknown[]): void {
    if (op.finished) return;
    op.finished = true;
    if (op.recording) {
      op.recording = false;
      this.recordingOperations--;
    }
    const outcome: OperationOutcome =
      errors.length === 0
        ? 'success'
        : errors.some((e) => ruleOf(e) !== undefined)
          ? 'rejected'
          : stage === 'parse' || stage === 'validate'
            ? 'invalid'
            : 'error';
    this.recordMetrics(op, stage, outcome, errors);
    try {
      let span = op.span;
      if (span === undefined) {
        span = this.openSpan(op);
        if (span.isRecording()) this.decorate(op, span, undefined);
      }
      if (span.isRecording()) {
        span.setAttribute('autoweave.graphql.outcome', outcome);
        if (op.skippedResolverSpans > 0) {
          span.setAttribute('autoweave.graphql.resolver_spans_skipped', op.skippedResolverSpans);
        }
        if (errors.length > 0) {
          span.setAttribute('autoweave.graphql.errors', errors.length);
          span.setAttribute('error.type', errorCode(errors[0], stage));
          const rule = errors.map(ruleOf).find((r) => r !== undefined);
          if (rule !== undefined) span.setAttribute('autoweave.graphql.rejected_rule', rule);
          recordErrors(span, errors);
        }
      }
      span.end();
    } catch (err) {
      this.config.reportFailure(stage, err);
    } finally {
      op.spansByPath = undefined;
    }
  }

  private recordMetrics(
    op: Operation,
    stage: ErrorStage,
    outcome: OperationOutcome,
    errors: readonly unknown[],
  ): void {
    const instruments = this.config.instruments;
    if (instruments === undefined) return;
    try {
      // Bound once per name, type and outcome (the name is already bounded, so the map is too).
      const key = `${op.nameLabel}\u0000${op.type}\u0000${outcome}`;
      let series = this.durationSeries.get(key);
      if (series === undefined) {
        series = instruments.operationDuration.labels({
          operation_name: op.nameLabel,
          operation_type: op.type,
          outcome,
        });
        this.durationSeries.set(key, series);
      }
      series.observe((performance.now() - op.start) / 1000);
      if (errors.length === 0) return;
      const byCode = new Map<string, number>();
      for (const error of errors) {
        const code = errorCode(error, stage);
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
      }
      for (const [code, n] of byCode) instruments.errors.inc({ code }, n);
    } catch (err) {
      this.config.reportFailure(stage, err);
    }
  }

  private spanName(op: Operation): string {
    if (op.type === 'unknown') return 'GraphQL Operation';
    // Only bounded names go into span names: an unbounded client-chosen name would explode span-name cardinality.
    return op.name !== undefined && op.nameLabel === op.name ? `${op.type} ${op.name}` : op.type;
  }

  private openSpan(op: Operation): Span {
    op.span = NO_SPAN;
    const span = this.config.tracer.startSpan(
      this.spanName(op),
      { kind: SpanKind.SERVER, startTime: performance.timeOrigin + op.start },
      context.active(),
    );
    op.span = span;
    // Attributes only on spans that are kept (nine in ten are not at 10% sampling): given to
    // startSpan, the SDK copies and checks them for every span, kept or not. The samplers here decide
    // on the trace id and the tenant in the context, not on these.
    if (span.isRecording()) {
      const attributes: Attributes = {};
      if (op.type !== 'unknown') attributes['graphql.operation.type'] = op.type;
      if (op.name !== undefined) attributes['graphql.operation.name'] = op.name;
      const tenant = currentTenant();
      if (tenant !== undefined) attributes[TENANT_ATTRIBUTE] = tenant;
      span.setAttributes(attributes);
    }
    return span;
  }

  /** What only a recording span gets, because it costs: the hash, and the opt-in document and variables. */
  private decorate(op: Operation, span: Span, variables: unknown): void {
    const { includeDocument, variableAttributes, redactor } = this.config;
    const document = op.document;
    if (document === undefined) return;
    span.setAttribute('graphql.document.hash', documentHash(document));
    const tenant = currentTenant();
    if (includeDocument && redactor !== undefined) {
      const redacted = redactor.redactAttributes({ 'graphql.document': documentText(document) }, tenant);
      const text = redacted['graphql.document'];
      if (typeof text === 'string') span.setAttribute('graphql.document', text);
    }
    if (variableAttributes !== undefined && redactor !== undefined && isObject(variables)) {
      this.addVariables(span, variableAttributes, redactor, variables, op.name, tenant);
    }
  }

  private addVariables(
    span: Span,
    pick: VariableAttributes,
    redactor: AttributeRedactor,
    variables: object,
    name: string | undefined,
    tenant: string | undefined,
  ): void {
    let picked: Readonly<Record<string, unknown>> | undefined;
    try {
      picked = pick(variables as Record<string, unknown>, name);
    } catch (err) {
      span.setAttribute('autoweave.graphql.variables_error', messageOf(err));
      return;
    }
    if (!isObject(picked)) return;
    const redacted = redactor.redactAttributes(picked, tenant);
    let n = 0;
    for (const [key, value] of Object.entries(redacted)) {
      if (n++ >= MAX_VARIABLE_ATTRIBUTES) break;
      const v = attributeValue(value);
      if (v !== undefined) span.setAttribute(`autoweave.graphql.variables.${key}`, v);
    }
  }

  /** Calls `fn(arg)` with `span` active, so spans the execution starts (a database call) are its children. */
  static within<A, T>(span: Span, fn: (arg: A) => T, arg: A): T {
    return context.with(trace.setSpan(context.active(), span), fn, undefined, arg);
  }
}
