// useAutoweaveGraphQL: the envelop plugin. It follows each operation through envelop's phases (parse and
// validate through `instrumentation`, which also sees errors thrown from yoga's caches; execute through
// onExecute), adds the guards and error masking as plugins right after itself, and wraps resolvers
// when the schema is set. Every hook body is guarded: a telemetry failure is counted, never thrown.
import { createRequire } from 'node:module';
import { isAsyncIterable, isPromise, type Plugin } from '@envelop/core';
import { trace } from '@opentelemetry/api';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import { createLabelGuard, createRedactor } from '@autoweave/tenant-isolation';
import type { ErrorStage } from './errors';
import { failureReporter } from './failures';
import { createGuardsPlugin } from './guards';
import { instrumentsFor } from './instruments';
import { createMaskingPlugin } from './masking';
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

/** `fn` (envelop's execute or subscribe) run inside `wrap`, typed as `fn` was. */
function wrapCall<F>(fn: F, wrap: <T>(run: () => T) => T): F {
  const call = fn as Call;
  return ((args: unknown) => wrap(() => call(args))) as F;
}

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
    reportFailure,
  });
  const companions: Plugin[] = [];
  if (config.guards !== false) companions.push(createGuardsPlugin(config.guards, instruments, reportFailure));
  if (config.maskErrors) companions.push(createMaskingPlugin(options.logger, reportFailure));
  let active = true;

  const guarded = (stage: ErrorStage | 'schema', fn: () => void): void => {
    if (!active) return;
    try {
      fn();
    } catch (err) {
      reportFailure(stage, err);
    }
  };
  const fail = (ctx: object, stage: ErrorStage, error: unknown): void =>
    guarded(stage, () => tracker.finish(tracker.current(ctx), stage, [error]));
  // After execute began, only an operation still open may end: never invent one for a late error.
  const failOpen = (ctx: object, error: unknown): void =>
    guarded('execute', () => {
      const op = tracker.lookup(ctx);
      if (op !== undefined) tracker.finish(op, 'execute', [error]);
    });
  const finishWith = (op: Operation, stage: ErrorStage, errors: readonly unknown[]): void =>
    guarded(stage, () => tracker.finish(op, stage, errors));

  /** Starts the span of an execute or subscribe call and runs the call with it active. */
  const startExecution = (
    ctx: object,
    args: { document: DocumentNode; operationName?: unknown; variableValues?: unknown },
    replace: (wrap: <T>(run: () => T) => T) => void,
  ): Operation | undefined => {
    let op: Operation | undefined;
    guarded('execute', () => {
      op = tracker.current(ctx);
      tracker.describe(op, args.document, args.operationName);
      const span = tracker.startSpan(op, args.variableValues);
      replace((run) => OperationTracker.within(span, run));
    });
    return op;
  };

  return {
    onPluginInit({ addPlugin, registerContextErrorHandler }) {
      // Registered before the companions' own handlers, so the real error is recorded before masking.
      registerContextErrorHandler(({ context, error }) => fail(context, 'context', error));
      for (const plugin of companions) addPlugin(plugin);
    },
    onSchemaChange({ schema }) {
      guarded('schema', () => resolvers.wrap(schema as GraphQLSchema));
    },
    instrumentation: {
      parse({ context }, parse) {
        guarded('parse', () => tracker.begin(context));
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
      // A safety net: an execution that throws or rejects instead of returning errors still ends its span.
      execute({ context }, execute) {
        let result: ReturnType<typeof execute>;
        try {
          result = execute();
        } catch (error) {
          failOpen(context, error);
          throw error;
        }
        if (!isPromise(result)) return result;
        return result.then(undefined, (error: unknown) => {
          failOpen(context, error);
          throw error;
        });
      },
    },
    onValidate({ context, params }) {
      return ({ valid, result }) =>
        guarded('validate', () => {
          // Described here already, so an operation whose context then fails to build is still named.
          const op = tracker.current(context);
          tracker.describe(op, params.documentAST as DocumentNode, operationNameParam(context));
          if (!valid) tracker.finish(op, 'validate', result);
        });
    },
    onExecute({ context, args, executeFn, setExecuteFn }) {
      const op = startExecution(context, args, (wrap) => setExecuteFn(wrapCall(executeFn, wrap)));
      if (op === undefined) return;
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) return finishWith(op, 'execute', errorsOf(result));
          // @defer/@stream: the operation ends with its last payload.
          const errors: unknown[] = [];
          return {
            onNext: ({ result: next }) => {
              for (const error of errorsOf(next)) if (errors.length < MAX_STREAM_ERRORS) errors.push(error);
            },
            onEnd: () => finishWith(op, 'execute', errors),
          };
        },
      };
    },
    onSubscribe({ context, args, subscribeFn, setSubscribeFn }) {
      const op = startExecution(context, args, (wrap) => setSubscribeFn(wrapCall(subscribeFn, wrap)));
      if (op === undefined) return;
      // The span covers setting the subscription up; events are not operations of their own here.
      return {
        onSubscribeResult({ result }) {
          finishWith(op, 'execute', isAsyncIterable(result) ? [] : errorsOf(result));
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
