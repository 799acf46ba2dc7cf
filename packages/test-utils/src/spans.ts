// Tracing set-up for tests: the AsyncLocalStorage context manager NodeTracerProvider.register()
// would install, without registering a provider or a propagator (the code under test must not need
// either), and a provider whose finished spans stay in memory.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** Registers an AsyncLocalStorage context manager globally; the returned function removes it. */
export function useAsyncContext(): () => void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return () => {
    context.disable();
  };
}

export interface SpanRecorder {
  readonly provider: BasicTracerProvider;
  readonly exporter: InMemorySpanExporter;
  /** Every span ended so far, in end order. */
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

/** A tracer provider (not registered globally) that keeps every ended span in memory. */
export function recordSpans(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    provider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    shutdown: () => provider.shutdown(),
  };
}
