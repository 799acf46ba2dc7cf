import { trace } from '@opentelemetry/api';
import { recordSpans, useAsyncContext } from './spans';

describe('recordSpans with useAsyncContext', () => {
  it('keeps ended spans and parents a span started after an await under the active one', async () => {
    const restore = useAsyncContext();
    const recorder = recordSpans();
    try {
      const tracer = recorder.provider.getTracer('test');
      await tracer.startActiveSpan('parent', async (parent) => {
        await new Promise((r) => setImmediate(r));
        tracer.startSpan('child').end();
        parent.end();
      });
      const [child, parent] = recorder.spans();
      expect(child?.name).toBe('child');
      expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
      expect(trace.getTracerProvider()).not.toBe(recorder.provider);
    } finally {
      await recorder.shutdown();
      restore();
    }
  });
});
