import { createSchema, createYoga } from 'graphql-yoga';
import type { RecentSpanNode } from '@autoweave/tracing';
import { checkMetrics } from '@autoweave/test-utils';
import { initializeObservability, type ObservabilityConfig, type ObservabilityManager } from './index';
import { serve, type TestServer } from './test-fixtures/server';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

interface Running {
  readonly obs: ObservabilityManager;
  readonly schema: ReturnType<typeof createSchema>;
  /** `Query.hello`'s resolver before any plugin saw the schema. */
  readonly ownHello: unknown;
  readonly server: TestServer;
  post(query: string): Promise<{ data?: unknown; errors?: { message: string }[] }>;
  stop(): Promise<void>;
}

/** graphql-yoga behind the manager's middleware on node:http, the way the demo serves it. */
async function start(config: Partial<ObservabilityConfig>): Promise<Running> {
  const obs = initializeObservability({ serviceName: 'graphql-test', logStream: false, env: {}, ...config });
  await obs.initialize();
  const schema = createSchema({
    typeDefs: 'type Query { hello(name: String): String, boom: String }',
    resolvers: {
      Query: {
        hello: (_: unknown, { name }: { name?: string }) => `hello ${name ?? 'world'}`,
        boom: () => {
          throw new Error('secret database failure');
        },
      },
    },
  });
  const ownHello = schema.getQueryType()?.getFields().hello?.resolve;
  const yoga = createYoga({
    schema,
    plugins: [obs.graphqlPlugin()],
    logging: false,
    // The manager decides masking (production optimizations), not yoga's own default.
    maskedErrors: false,
  });
  const middleware = obs.createHTTPMiddleware({ authenticate: () => 'acme' });
  const server = await serve((req, res) => middleware(req, res, () => void yoga(req, res)));
  return {
    obs,
    schema,
    ownHello,
    server,
    post: async (query) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: unknown; errors?: { message: string }[] };
    },
    stop: async () => {
      await server.close();
      await obs.shutdown();
    },
  };
}

const flat = (nodes: readonly RecentSpanNode[]): RecentSpanNode[] =>
  nodes.flatMap((n) => [n, ...flat(n.children)]);

describe('graphqlPlugin with a real graphql-yoga server', () => {
  test('development: HTTP → operation → resolver spans in one trace, documents on spans, errors unmasked', async () => {
    const app = await start({ environment: 'development' });
    try {
      expect(await app.post('query Greet { hello(name: "ada") }')).toEqual({ data: { hello: 'hello ada' } });
      const trace = app.obs.recentTraces?.trace(TRACE_ID);
      const spans = flat(trace?.roots ?? []);
      expect(spans.map((s) => `${s.kind} ${s.name}`)).toEqual([
        'SERVER POST /graphql',
        'SERVER query Greet',
        'INTERNAL graphql.resolve Query.hello',
      ]);
      expect(spans[0]?.parentSpanId).toBe(PARENT_ID);
      for (const span of spans) expect(span.attributes['tenant.id']).toBe('acme');
      expect(spans[1]?.attributes['graphql.document']).toContain('hello(name: "ada")');

      const failed = await app.post('{ boom }');
      expect(failed.errors?.[0]?.message).toBe('secret database failure');

      const text = (await app.obs.metrics.collect()).body;
      expect(text).toMatch(
        /^autoweave_graphql_operation_duration_seconds_count\{[^}]*outcome="success"[^}]*\} 1$/m,
      );
      expect(text).toMatch(
        /^autoweave_requests_total\{method="POST",route="\/graphql",status_class="2xx"\} 2$/m,
      );
      expect((await checkMetrics(text)).ok).toBe(true);
    } finally {
      await app.stop();
    }
  });

  test('production optimizations: errors masked and no document on the operation span', async () => {
    const app = await start({ environment: 'production', samplingRate: 1 });
    try {
      expect(app.obs.config.enableProductionOptimizations).toBe(true);
      const failed = await app.post('query Explode { boom }');
      expect(failed.errors?.[0]?.message).toBe('Unexpected error.');
      const operation = flat(app.obs.recentTraces?.trace(TRACE_ID)?.roots ?? []).find(
        (s) => s.name === 'query Explode',
      );
      expect(operation?.status.code).toBe('ERROR');
      expect(operation?.attributes['graphql.document']).toBeUndefined();
      expect(operation?.attributes['graphql.document.hash']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await app.stop();
    }
  });

  test('shutdown of the manager puts the schema resolvers back', async () => {
    const app = await start({});
    const resolver = () => app.schema.getQueryType()?.getFields().hello?.resolve;
    const own = app.ownHello;
    try {
      await app.post('{ hello }');
      expect(app.obs.recentTraces?.trace(TRACE_ID)?.spanCount).toBe(3);
      expect(resolver()).not.toBe(own);
      await app.obs.shutdown();
      expect(resolver()).toBe(own);
      expect(await app.post('{ hello }')).toEqual({ data: { hello: 'hello world' } });
    } finally {
      await app.stop();
    }
  });
});
