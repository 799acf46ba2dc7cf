// instrumentPluginLoader: wraps a loader's `load` and `execute` with spans, duration histograms,
// failure counters and business-operation counts. The wrappers never throw anything of their own:
// a telemetry failure is caught and counted, and the loader's result or error passes through as is.
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { TENANT_ATTRIBUTE, currentTenant, isValidTenantId } from '@autoweave/tenant-isolation';
import { messageOf } from './errors';
import { FAILURE_REASONS, instrumentsFor, type Instruments, type Phase } from './telemetry';
import type {
  InstrumentPluginLoaderOptions,
  PluginFailureReason,
  PluginInstrumentation,
  PluginLoaderLike,
} from './types';

/** Kept equal to package.json's version by a test. */
export const PACKAGE_VERSION = '0.1.0';
export const TRACER_NAME = '@autoweave/integration-plugins';

/** Span names and attribute keys of the instrumentation. */
export const PLUGIN_SPANS = Object.freeze({ load: 'plugin.load', execute: 'plugin.execute' });
export const PLUGIN_ATTRIBUTES = Object.freeze({
  name: 'autoweave.plugin.name',
  version: 'autoweave.plugin.version',
  outcome: 'autoweave.plugin.outcome',
  /** On `plugin.load`: the loader handed back the plugin it had loaded already. */
  cached: 'autoweave.plugin.cached',
  /** The failure reason (`timeout`, `invalid-manifest`…), OpenTelemetry's general error attribute. */
  errorType: 'error.type',
});

const MAX_NAME = 128;
const MAX_STATUS_MESSAGE = 1024;
/** At most this many plugins' versions and loaded objects are remembered. */
const MAX_REMEMBERED = 10_000;

const instrumented = new WeakSet<object>();

interface Operation {
  readonly phase: Phase;
  readonly name: string;
  readonly tenant: string | undefined;
  readonly span: Span;
  readonly context: Context;
  readonly start: number;
  /** For a load: what the loader's `get(name)` had before it, if it has `get`. */
  readonly before: unknown;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

function reasonOf(error: unknown): PluginFailureReason {
  try {
    const reason = (error as { reason?: unknown } | null)?.reason;
    if (typeof reason === 'string' && (FAILURE_REASONS as readonly string[]).includes(reason)) {
      return reason as PluginFailureReason;
    }
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'PluginTimeoutError') return 'timeout';
    if (name === 'AbortError') return 'aborted';
  } catch {
    // a hostile error object: counted as a plain error
  }
  return 'error';
}

function checkOptions(loader: unknown, options: InstrumentPluginLoaderOptions): void {
  const what = 'instrumentPluginLoader';
  if (
    typeof loader !== 'object' ||
    loader === null ||
    typeof (loader as PluginLoaderLike).load !== 'function' ||
    typeof (loader as PluginLoaderLike).execute !== 'function'
  ) {
    throw new TypeError(
      `${what}: loader must be an object with load(name) and execute(name, input, options) methods`,
    );
  }
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${what}: options must be an object`);
  const { tracerProvider, metrics, sloEvaluator, logger, maxPluginLabels, operationName } = options;
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') {
    throw new TypeError(`${what}: options.tracerProvider must be a TracerProvider (with getTracer)`);
  }
  if (metrics !== undefined && typeof metrics?.histogram !== 'function') {
    throw new TypeError(
      `${what}: options.metrics must be a handle from createMetrics() of @autoweave/metrics`,
    );
  }
  if (
    sloEvaluator !== undefined &&
    (typeof sloEvaluator?.record !== 'function' || !Array.isArray(sloEvaluator.slos))
  ) {
    throw new TypeError(
      `${what}: options.sloEvaluator must be an evaluator from createSloEvaluator() of @autoweave/sli-slo`,
    );
  }
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    throw new TypeError(`${what}: options.logger must have a warn(message, meta) method`);
  }
  if (maxPluginLabels !== undefined && (!Number.isInteger(maxPluginLabels) || maxPluginLabels < 1)) {
    throw new TypeError(
      `${what}: options.maxPluginLabels must be a whole number ≥ 1, got ${String(maxPluginLabels)}`,
    );
  }
  if (
    operationName !== undefined &&
    (typeof operationName !== 'string' || !/^[a-z][a-z0-9_.-]{0,62}$/.test(operationName))
  ) {
    throw new TypeError(
      `${what}: options.operationName must be 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter`,
    );
  }
  if (instrumented.has(loader)) {
    throw new TypeError(
      `${what}: this loader is instrumented already; shut the first instrumentation down first`,
    );
  }
}

const SPAN_OPTIONS = Object.freeze({ kind: SpanKind.INTERNAL });

/** A promise or any object with a `then` method, as `await` treats it. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Instruments `loader` (this package's or any object of the same shape) in place: `load` and
 * `execute` get `plugin.load`/`plugin.execute` spans and, with `options.metrics`, duration
 * histograms, a failure counter and `autoweave_business_operations_total{operation="plugin.execute"}`.
 * `shutdown()` puts the original methods back.
 */
export function instrumentPluginLoader<T extends PluginLoaderLike>(
  loader: T,
  options: InstrumentPluginLoaderOptions = {},
): PluginInstrumentation {
  checkOptions(loader, options);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    TRACER_NAME,
    PACKAGE_VERSION,
  );
  const instruments: Instruments = instrumentsFor(options);
  const operationName = options.operationName ?? 'plugin.execute';
  const logger = options.logger;
  const versions = new Map<string, string>();
  /** The object each successful load returned, to tell a fresh load from a cached one. */
  const loadedObjects = new Map<string, unknown>();
  let internalErrors = 0;
  let active = true;

  const internal = (error: unknown): void => {
    internalErrors++;
    try {
      instruments.telemetryError();
      if (internalErrors === 1) {
        logger?.warn(
          'plugin instrumentation failed; the loader is unaffected, further failures are only counted',
          {
            error: messageOf(error),
          },
        );
      }
    } catch {
      // nothing left to report to
    }
  };

  const remember = <V>(map: Map<string, V>, name: string, value: V): void => {
    if (map.size < MAX_REMEMBERED || map.has(name)) map.set(name, value);
  };

  const versionOf = (name: string): string | undefined => {
    let version = versions.get(name);
    if (version === undefined && typeof loader.get === 'function') {
      version = loader.get(name)?.manifest.version;
      if (typeof version === 'string') remember(versions, name, version);
    }
    return typeof version === 'string' ? version : undefined;
  };

  const tenantOf = (phase: Phase, callOptions: unknown): string | undefined => {
    if (phase === 'execute' && typeof callOptions === 'object' && callOptions !== null) {
      const given = (callOptions as { tenantId?: unknown }).tenantId;
      if (isValidTenantId(given)) return given;
    }
    return currentTenant();
  };

  function begin(phase: Phase, rawName: unknown, callOptions: unknown): Operation {
    const text = typeof rawName === 'string' ? rawName : String(rawName);
    const name = text.length > MAX_NAME ? text.slice(0, MAX_NAME) : text;
    const tenant = tenantOf(phase, callOptions);
    const parent = context.active();
    const span = tracer.startSpan(
      phase === 'load' ? PLUGIN_SPANS.load : PLUGIN_SPANS.execute,
      SPAN_OPTIONS,
      parent,
    );
    // Attributes only on spans that are kept (nine in ten are not at 10% sampling); samplers read the
    // tenant from the context, not from these.
    if (span.isRecording()) {
      const attributes: Attributes = { [PLUGIN_ATTRIBUTES.name]: name };
      const version = versionOf(name);
      if (version !== undefined) attributes[PLUGIN_ATTRIBUTES.version] = version;
      if (tenant !== undefined) attributes[TENANT_ATTRIBUTE] = tenant;
      span.setAttributes(attributes);
    }
    const before = phase === 'load' && typeof loader.get === 'function' ? loader.get(name) : undefined;
    return {
      phase,
      name,
      tenant,
      span,
      context: trace.setSpan(parent, span),
      start: performance.now(),
      before,
    };
  }

  function succeed(op: Operation, result: unknown): void {
    try {
      const seconds = (performance.now() - op.start) / 1000;
      const { span, name } = op;
      let cached = false;
      if (op.phase === 'load') {
        cached = result !== undefined && (op.before === result || loadedObjects.get(name) === result);
        remember(loadedObjects, name, result);
        const version = (result as { manifest?: { version?: unknown } } | null)?.manifest?.version;
        if (typeof version === 'string') {
          remember(versions, name, version);
          span.setAttribute(PLUGIN_ATTRIBUTES.version, version);
        }
        if (cached) span.setAttribute(PLUGIN_ATTRIBUTES.cached, true);
      }
      span.setAttribute(PLUGIN_ATTRIBUTES.outcome, 'success');
      span.end();
      // a cached load did no loading: it would only flatter the load-latency SLO
      if (!cached) instruments.observe(op.phase, name, 'success', seconds);
      if (op.phase === 'execute') instruments.operation(operationName, op.tenant, true, seconds);
    } catch (error) {
      internal(error);
    }
  }

  function fail(op: Operation, error: unknown): void {
    try {
      const seconds = (performance.now() - op.start) / 1000;
      const reason = reasonOf(error);
      const { span, name } = op;
      if (span.isRecording()) {
        span.setAttribute(PLUGIN_ATTRIBUTES.outcome, 'failure');
        span.setAttribute(PLUGIN_ATTRIBUTES.errorType, reason);
        const message = messageOf(error);
        span.recordException(error instanceof Error ? error : message);
        span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, MAX_STATUS_MESSAGE) });
      }
      span.end();
      instruments.observe(op.phase, name, 'failure', seconds);
      instruments.failure(op.phase, name, reason);
      // a caller's cancellation is not the plugin failing: counted, but as outcome "unknown"
      if (op.phase === 'execute') {
        instruments.operation(operationName, op.tenant, reason === 'aborted' ? undefined : false, seconds);
      }
    } catch (telemetryError) {
      internal(telemetryError);
    }
  }

  function wrap(phase: Phase, original: AnyFunction): AnyFunction {
    return function instrumented(this: unknown, ...args: unknown[]): unknown {
      if (!active) return original.apply(this, args);
      let op: Operation;
      try {
        op = begin(phase, args[0], args[2]);
      } catch (error) {
        internal(error);
        return original.apply(this, args);
      }
      let result: unknown;
      try {
        result = context.with(op.context, original, this, ...args);
      } catch (error) {
        fail(op, error);
        throw error;
      }
      if (!isThenable(result)) {
        succeed(op, result);
        return result;
      }
      // The caller gets the loader's own promise back: our handlers hang off the side (registered
      // first, so they run before the caller's continuation), which costs no extra promise hop and
      // leaves a rejection the caller does not handle exactly as unhandled as it was.
      result.then(
        (value) => succeed(op, value),
        (error: unknown) => fail(op, error),
      );
      return result;
    };
  }

  const target = loader as unknown as Record<'load' | 'execute', AnyFunction>;
  const patched = (['load', 'execute'] as const).map((method) => {
    const own = Object.prototype.hasOwnProperty.call(loader, method);
    const original = target[method];
    const wrapper = wrap(method, original);
    target[method] = wrapper;
    return { method, own, original, wrapper };
  });
  instrumented.add(loader);

  return {
    shutdown(): Promise<void> {
      if (!active) return Promise.resolve();
      active = false;
      for (const { method, own, original, wrapper } of patched) {
        // someone wrapped on top of us: leave their wrapper, ours now passes through
        if (target[method] !== wrapper) continue;
        if (own) target[method] = original;
        else delete (target as Partial<typeof target>)[method];
      }
      instrumented.delete(loader);
      return Promise.resolve();
    },
    stats: () => ({ internalErrors }),
  };
}
