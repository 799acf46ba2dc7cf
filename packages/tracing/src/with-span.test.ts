import { trace } from '@opentelemetry/api';
import { startTracing, withSpan, type TracingHandle } from './index';

describe('withSpan', () => {
  let tracing: TracingHandle;
  beforeEach(() => {
    tracing = startTracing({ serviceName: 'with-span' });
  });
  afterEach(async () => {
    await tracing.shutdown();
  });
  const only = () => {
    const [t] = tracing.recentTraces?.traces() ?? [];
    return t?.roots[0];
  };

  test('returns the value of a sync function and ends the span', () => {
    expect(withSpan(tracing.tracer(), 'sync-ok', (span) => span.isRecording())).toBe(true);
    expect(only()).toMatchObject({ name: 'sync-ok', status: { code: 'UNSET' }, events: [] });
  });

  test('rethrows the original error of a sync function, with an exception event and ERROR status', () => {
    const error = new TypeError('bad input');
    let thrown: unknown;
    try {
      withSpan(tracing.tracer(), 'sync-fail', () => {
        throw error;
      });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(error);
    const span = only();
    expect(span?.status).toEqual({ code: 'ERROR', message: 'bad input' });
    expect(span?.events[0]?.name).toBe('exception');
    expect(span?.events[0]?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'bad input',
    });
  });

  test('resolves to the value of an async function and ends the span when it settles', async () => {
    const result = withSpan(tracing.tracer(), 'async-ok', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return 42;
    });
    expect(tracing.recentTraces?.traces()).toEqual([]); // not ended before the promise settles
    await expect(result).resolves.toBe(42);
    expect(only()).toMatchObject({ name: 'async-ok', status: { code: 'UNSET' } });
  });

  test('rejects with the original error of an async function, with an exception event and ERROR status', async () => {
    const error = new Error('downstream timeout');
    await expect(
      withSpan(tracing.tracer(), 'async-fail', async () => {
        await Promise.resolve();
        throw error;
      }),
    ).rejects.toBe(error);
    const span = only();
    expect(span?.status.code).toBe('ERROR');
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  test('a non-Error throw is recorded and rethrown as is', () => {
    expect(() =>
      tracing.withSpan('throws-string', () => {
        throw 'plain string'; // eslint-disable-line @typescript-eslint/only-throw-error
      }),
    ).toThrow('plain string');
    expect(only()?.status).toEqual({ code: 'ERROR', message: 'plain string' });
  });

  test('the span is active inside the function, so nested spans become children', async () => {
    await tracing.withSpan(
      'outer',
      async (outer) => {
        expect(trace.getActiveSpan()).toBe(outer);
        await tracing.withSpan('inner', async () => {
          await Promise.resolve();
        });
      },
      { attributes: { 'autoweave.test': 'yes' } },
    );
    const root = only();
    expect(root?.name).toBe('outer');
    expect(root?.attributes['autoweave.test']).toBe('yes');
    expect(root?.children.map((c) => c.name)).toEqual(['inner']);
  });
});
