// Test fixture: makes a span of its own, which should be a child of the loader's plugin.execute span.
import { trace } from '@opentelemetry/api';

export default {
  async execute(input) {
    const tracer = trace.getTracer('spanning-plugin');
    return tracer.startActiveSpan('spanning.work', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      span.end();
      return { doubled: Number(input) * 2 };
    });
  },
};
