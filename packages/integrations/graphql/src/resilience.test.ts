// Telemetry never breaks the server: a failing tracer, redactor or hook is counted and the client still
// gets its answer. And with a context manager (startTracing), work a resolver starts is parented to the
// resolver's span, so database spans land inside the GraphQL trace.
import type { Plugin } from '@envelop/core';
import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { createSchema } from 'graphql-yoga';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { startTracing } from '@autoweave/tracing';
import { METRICS, useAutoweaveGraphQL, type AutoweaveGraphQLOptions } from './index';
import {
  operationCount,
  sample,
  serve,
  startServer,
  testTracing,
  type TestServer,
} from './test-fixtures/server';

let metrics: MetricsHandle;
beforeEach(() => {
  metrics = createMetrics({ defaultMetrics: false });
});
afterEach(() => metrics.shutdown());

const withServer = (options: AutoweaveGraphQLOptions, run: (server: TestServer) => Promise<void>) =>
  serve(useAutoweaveGraphQL({ metrics, ...options }), {}, run);

const QUERY = 'query Q($id: ID!) { user(id: $id) { name posts { title } } }';
const ANSWER = { data: { user: { name: 'Ada', posts: [{ title: 'Engines' }, { title: 'Notes' }] } } };

describe('a failing telemetry part', () => {
  it('a tracer that throws: the query is answered and the failure counted and logged once', async () => {
    const broken: Tracer = {
      startSpan: () => {
        throw new Error('exporter exploded');
      },
      startActiveSpan: () => {
        throw new Error('exporter exploded');
      },
    };
    const provider: TracerProvider = { getTracer: () => broken };
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args), error: () => undefined };
    await withServer({ tracerProvider: provider, logger }, async (server) => {
      for (let i = 0; i < 3; i++) expect((await server.query(QUERY, { id: '1' })).body).toEqual(ANSWER);
      expect((await server.query('{ broken')).status).toBe(400);
    });
    const text = (await metrics.collect()).body;
    expect(sample(text, METRICS.internalErrors, { stage: 'execute' })).toBe(3);
    expect(sample(text, METRICS.internalErrors, { stage: 'parse' })).toBe(1);
    // Metrics do not depend on the tracer.
    expect(operationCount(text, 'Q', 'query', 'success')).toBe(3);
    expect(warnings).toHaveLength(2);
  });

  it('a redactor or variables hook that throws: the query is answered', async () => {
    const tracing = startTracing({ serviceName: 'api', registerGlobal: false });
    try {
      const options: AutoweaveGraphQLOptions = {
        tracerProvider: tracing.provider,
        includeDocument: true,
        variableAttributes: () => {
          throw new Error('hook bug');
        },
        redactor: {
          redactAttributes: () => {
            throw new Error('redactor bug');
          },
        },
      };
      await withServer(options, async (server) => {
        expect((await server.query(QUERY, { id: '1' })).body).toEqual(ANSWER);
      });
      expect(sample((await metrics.collect()).body, METRICS.internalErrors, { stage: 'execute' })).toBe(1);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('an execution that rejects instead of answering with errors', () => {
  it('still ends the operation, as an error', async () => {
    const tracing = testTracing();
    const crash: Plugin = {
      onExecute: ({ setExecuteFn }) => setExecuteFn(() => Promise.reject(new Error('executor crashed'))),
    };
    const plugin = useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics });
    const server = await startServer({ plugins: [crash, plugin] });
    try {
      expect((await server.query('query Q { version }')).status).toBe(500);
    } finally {
      await server.close();
      await plugin.shutdown();
    }
    const [op] = tracing.byName('query Q');
    expect(op?.attributes['autoweave.graphql.outcome']).toBe('error');
    expect(op?.status.message).toBe('executor crashed');
    expect(operationCount((await metrics.collect()).body, 'Q', 'query', 'error')).toBe(1);
    await tracing.shutdown();
  });
});

describe('with a context manager', () => {
  it('keeps spans the resolvers of an unsampled root operation start out of the traces', async () => {
    const tracing = startTracing({ serviceName: 'api', sampleRate: 0 }); // registers the context manager
    const exporter = new InMemorySpanExporter();
    // Roots are sampled only when named 'SELECT users'; children follow their parent.
    const sampler: Sampler = {
      shouldSample: (ctx, _traceId, name) => {
        const parent = trace.getSpanContext(ctx);
        const sampled = parent === undefined ? name === 'SELECT users' : (parent.traceFlags & 1) === 1;
        return { decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
      },
      toString: () => 'test',
    };
    const provider = new BasicTracerProvider({
      sampler,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const db = provider.getTracer('db');
    const schema = createSchema({
      typeDefs: 'type Query { lookup: String }',
      resolvers: { Query: { lookup: () => (db.startSpan('SELECT users').end(), 'found') } },
    });
    try {
      await serve(useAutoweaveGraphQL({ tracerProvider: provider }), { schema }, async (server) => {
        expect((await server.query('{ lookup }')).body).toEqual({ data: { lookup: 'found' } });
      });
      // Without the operation's (unsampled) span active, 'SELECT users' would be a sampled root of its own.
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      await provider.shutdown();
      await tracing.shutdown();
    }
  });

  it("parents spans a resolver starts to the resolver's span", async () => {
    const tracing = startTracing({ serviceName: 'api', recentTraces: true });
    const db = trace.getTracer('db');
    const schema = createSchema({
      typeDefs: 'type Query { lookup: String }',
      resolvers: {
        Query: {
          lookup: async () => {
            await new Promise((resolve) => setImmediate(resolve));
            db.startSpan('SELECT users').end();
            return 'found';
          },
        },
      },
    });
    try {
      await serve(useAutoweaveGraphQL({ tracerProvider: tracing.provider }), { schema }, async (server) => {
        expect((await server.query('query Find { lookup }')).body).toEqual({ data: { lookup: 'found' } });
        const [found] = tracing.recentTraces?.traces() ?? [];
        expect(found?.name).toBe('query Find');
        const op = found?.roots[0];
        expect(op?.children.map((c) => c.name)).toEqual(['graphql.resolve Query.lookup']);
        expect(op?.children[0]?.children.map((c) => c.name)).toEqual(['SELECT users']);
      });
    } finally {
      await tracing.shutdown();
    }
  });
});
