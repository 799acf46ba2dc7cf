// useAutoweaveGraphQL: the envelop plugin. It follows each operation through envelop's phases (parse and
// validate through `instrumentation`, which also sees errors thrown from yoga's caches; execute through
// onExecute), masks errors in its own hooks after recording them, adds the guards as a plugin right
// after itself, and wraps resolvers when the schema is set. A telemetry failure is counted, never thrown.
import { createRequire } from 'node:module';
import { isAsyncIterable, isPromise } from '@envelop/core';
import { context as otelContext, trace, type Span } from '@opentelemetry/api';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import { createLabelGuard, createRedactor } from '@autoweave/tenant-isolation';
import type { ErrorStage } from './errors';
import { failureReporter } from './failures';
import { createGuardsPlugin } from './guards';
import { instrumentsFor } from './instruments';
import { createMasker, maskResult } from './masking';
import { ANONYMOUS_OPERATION, OperationTracker, UNPARSED_OPERATION, type Operation } from './operation';
import { resolveOptions } from './options';
import { ResolverInstrumentation } from './resolvers';
import type { AutoweaveGraphQLOptions, AutoweaveGraphQLPlugin } from './types';

/** Errors kept from an incremental (@defer/@stream) result; the rest are not counted. */
const MAX_STREAM_ERRORS = 1000;

/** The tracer (instrumentation scope) name. */
export const TRACER_NAME = '@autoweave/integration-graphql';

function packageVersion(): string {
  try {
    return (createRequire(__filename)('../package.json') as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function operationNameParam(ctx: unknown): unknown {
  // graphql-yoga puts the request's params on the context; other envelop servers may not.
  return (ctx as { params?: { operationName?: unknown } } | null)?.params?.operationName;
}

type Call = (args: unknown) => unknown;

function errorsOf(result: unknown): readonly unknown[] {
  const errors = (result as ExecutionResult | null)?.errors;
  return Array.isArray(errors) ? errors : [];
}

/**
 * Operation and resolver spans on your tracer provider, bounded metrics, public-API guards and masked
 * errors, as one envelop plugin for graphql-yoga or any envelop server. Put it first in `plugins`.
 */
export function useAutoweaveGraphQL(options: AutoweaveGraphQLOptions = {}): AutoweaveGraphQLPlugin {
  const config = resolveOptions(options);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    TRACER_NAME,
    packageVersion(),
  );
  const { allow, cap } = config.operationNames;
  const instruments =
    options.metrics === undefined
      ? undefined
      : instrumentsFor(options.metrics, allow.length + cap, config.resolverFieldCap);
  const reportFailure = failureReporter(instruments, options.logger);
  const tracker = new OperationTracker({
    tracer,
    instruments,
    names: createLabelGuard({ allow: [...allow, ANONYMOUS_OPERATION, UNPARSED_OPERATION], cap }),
    includeDocument: config.includeDocument,
    followParentSampling: config.followParentSampling,
    variableAttributes: options.variableAttributes,
    redactor:
      config.includeDocument || options.variableAttributes !== undefined
        ? (options.redactor ?? createRedactor())
        : undefined,
    reportFailure,
  });
  const resolvers = new ResolverInstrumentation({
    mode: config.resolvers,
    tracer,
    tracker,
    instruments,
    fields: createLabelGuard({ cap: config.resolverFieldCap }),
    maxSpans: config.maxResolverSpans,
    firstListItemOnly: config.listItemSpans === 'first',
    traceTrivial: config.traceTrivialResolvers,
    timeAll: config.resolverMetrics === 'all',
    reportFailure,
  });
  const guards =
    config.guards === false ? undefined : createGuardsPlugin(config.guards, instruments, reportFailure);
  const mask = config.maskErrors ? createMasker(options.logger, reportFailure) : undefined;
  let active = true;

  /** Ends `op`; the tracker never throws, but a failure here must not reach the server either. */
  const finish = (op: Operation, stage: ErrorStage, errors: readonly unknown[]): void => {
    try {
      tracker.finish(op, stage, errors);
    } catch (err) {
      reportFailure(stage, err);
    }
  };
  /** An error before execute: the operation of `ctx` (begun at parse) ends with it. */
  const fail = (ctx: object, stage: ErrorStage, error: unknown): void => {
    if (!active) return;
    try {
      tracker.finish(tracker.current(ctx), stage, [error]);
    } catch (err) {
      reportFailure(stage, err);
    }
  };

  /**
   * Starts the span of an execute or subscribe call; returns the call to run instead, which runs the
   * original with the span active and ends the operation if it throws or rejects (such a call never
   * reaches onExecuteDone). The rejection handler hangs off the side, so the result is not delayed.
   */
  const startExecution = (
    ctx: object,
    args: { document: DocumentNode; operationName?: unknown; variableValues?: unknown },
    call: Call,
  ): { op: Operation; run: Call } | undefined => {
    if (!active) return undefined;
    let op: Operation;
    try {
      op = tracker.current(ctx);
      tracker.describe(op, args.document, args.operationName);
    } catch (err) {
      reportFailure('execute', err);
      return undefined;
    }
    let span: Span | undefined;
    try {
      span = tracker.startSpan(op, args.variableValues);
      // An unsampled operation under a span (an HTTP server span) adds nothing by being active: work it
      // starts follows that span's decision anyway. Activating it is only needed at the root, where it
      // keeps downstream spans from starting traces of their own.
      if (!span.isRecording() && trace.getSpan(otelContext.active()) !== undefined) span = undefined;
    } catch (err) {
      // Without a span the operation is still measured and ended.
      reportFailure('execute', err);
    }
    const failed = (error: unknown): void => finish(op, 'execute', [error]);
    const run: Call = (callArgs) => {
      let result: unknown;
      try {
        result = span === undefined ? call(callArgs) : OperationTracker.within(span, call, callArgs);
      } catch (error) {
        failed(error);
        throw error;
      }
      if (isPromise(result)) void result.then(undefined, failed);
      return result;
    };
    return { op, run };
  };

  return {
    onPluginInit({ addPlugin, registerContextErrorHandler }) {
      registerContextErrorHandler(({ context, error, setError }) => {
        fail(context, 'context', error);
        if (mask !== undefined) setError(mask(error));
      });
      if (guards !== undefined) addPlugin(guards);
    },
    onSchemaChange({ schema }) {
      if (!active) return;
      try {
        resolvers.wrap(schema as GraphQLSchema);
      } catch (err) {
        reportFailure('schema', err);
      }
    },
    instrumentation: {
      parse({ context }, parse) {
        if (active) tracker.begin(context);
        try {
          parse();
        } catch (error) {
          fail(context, 'parse', error);
          throw error;
        }
      },
      validate({ context }, validate) {
        try {
          validate();
        } catch (error) {
          fail(context, 'validate', error);
          throw error;
        }
      },
    },
    onValidate({ context, params }) {
      if (!active) return;
      return ({ valid, result }) => {
        try {
          // Described here already, so an operation whose context then fails to build is still named.
          const op = tracker.current(context);
          tracker.describe(op, params.documentAST as DocumentNode, operationNameParam(context));
          if (!valid) tracker.finish(op, 'validate', result);
        } catch (err) {
          reportFailure('validate', err);
        }
      };
    },
    onExecute({ context, args, executeFn, setExecuteFn }) {
      const started = startExecution(context, args, executeFn as Call);
      if (started === undefined) return;
      setExecuteFn(started.run as typeof executeFn);
      const { op } = started;
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            finish(op, 'execute', errorsOf(result));
            if (mask !== undefined) setResult(maskResult(result, mask));
            return;
          }
          // @defer/@stream: the operation ends with its last payload.
          const errors: unknown[] = [];
          return {
            onNext: ({ result: next, setResult: setNext }) => {
              for (const error of errorsOf(next)) if (errors.length < MAX_STREAM_ERRORS) errors.push(error);
              if (mask !== undefined) setNext(maskResult(next, mask));
            },
            onEnd: () => finish(op, 'execute', errors),
          };
        },
      };
    },
    onSubscribe({ context, args, subscribeFn, setSubscribeFn }) {
      const started = startExecution(context, args, subscribeFn as Call);
      if (started === undefined) return;
      setSubscribeFn(started.run as typeof subscribeFn);
      const { op } = started;
      // The span covers setting the subscription up; events are not operations of their own here.
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return finish(op, 'execute', []);
          finish(op, 'execute', errorsOf(result));
          if (mask !== undefined) setResult(maskResult(result, mask));
        },
        onSubscribeError({ error, setError }) {
          if (mask !== undefined) setError(mask(error));
        },
      };
    },
    shutdown() {
      active = false;
      resolvers.restore();
      return Promise.resolve();
    },
  };
}
