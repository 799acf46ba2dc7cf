import { setTimeout as sleep } from 'node:timers/promises';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { captureJsonLines, type CapturedLines } from '@autoweave/test-utils';
import { createLogger, type LoggerHandle } from './index';

describe('trace and tenant correlation', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let handle: LoggerHandle;
  let out: CapturedLines;

  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => {
    out = captureJsonLines();
    handle = createLogger({ service: 'api', environment: 'test', stream: out.stream });
  });
  afterEach(() => handle.shutdown());

  it("stamps a log written inside a span with that span's trace_id, span_id and trace_flags", () => {
    const tracer = trace.getTracer('test');
    let ids: { traceId: string; spanId: string } | undefined;
    tracer.startActiveSpan('handle-request', (span) => {
      ids = span.spanContext();
      handle.logger.info('inside the span');
      span.end();
    });
    handle.logger.info('outside any span');

    const [inside, outside] = out.records();
    expect(inside).toMatchObject({
      message: 'inside the span',
      trace_id: ids?.traceId,
      span_id: ids?.spanId,
      trace_flags: '01',
      service: 'api',
      environment: 'test',
      level: 'info',
    });
    expect(typeof inside?.timestamp).toBe('string');
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });

  it('takes tenant_id from runWithTenant, across await and setTimeout', async () => {
    await runWithTenant('acme', async () => {
      handle.logger.info('before await');
      await sleep(5);
      handle.logger.info('after await');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          handle.logger.info('in a timer');
          resolve();
        }, 5),
      );
    });
    handle.logger.info('after the tenant');
    const records = out.records();
    expect(records.map((r) => r.tenant_id)).toEqual(['acme', 'acme', 'acme', undefined]);
  });

  it('gives child loggers their component field along with the correlation fields', () => {
    const usb = handle.child({ component: 'usb' });
    runWithTenant('globex', () => usb.warn('device attached', { vendorId: 0x1234 }));
    expect(out.records()[0]).toMatchObject({
      component: 'usb',
      tenant_id: 'globex',
      level: 'warn',
      message: 'device attached',
      vendorId: 0x1234,
      service: 'api',
    });
  });

  it('serializes errors with their stack', () => {
    handle.logger.error('plugin failed', new Error('boom'));
    handle.logger.error(new Error('bare'));
    const [withMessage, bare] = out.records();
    expect(withMessage?.message).toContain('plugin failed');
    expect(String(withMessage?.stack)).toContain('Error: boom');
    expect(bare?.message).toBe('bare');
    expect(String(bare?.stack)).toContain('Error: bare');
  });
});
