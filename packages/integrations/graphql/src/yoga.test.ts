// GraphQL through a real graphql-yoga server over HTTP on loopback: what the client gets back, which
// spans reach the exporter and what the Prometheus exposition says.
import { createHash } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parse, print } from 'graphql';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { checkMetrics } from '@autoweave/test-utils';
import { METRICS, useAutoweaveGraphQL, type AutoweaveGraphQLOptions } from './index';
import {
  operationCount,
  sample,
  serve,
  testTracing,
  type TestServer,
  type TestTracing,
} from './test-fixtures/server';

interface Harness {
  server: TestServer;
  tracing: TestTracing;
  metrics: MetricsHandle;
  exposition: () => Promise<string>;
}

async function withServer(
  options: Omit<AutoweaveGraphQLOptions, 'tracerProvider' | 'metrics'>,
  run: (h: Harness) => Promise<void>,
): Promise<void> {
  const tracing = testTracing();
  const metrics = createMetrics({ defaultMetrics: false });
  const plugin = useAutoweaveGraphQL({ ...options, tracerProvider: tracing.provider, metrics });
  try {
    await serve(plugin, { tenant: 'acme' }, (server) =>
      run({ server, tracing, metrics, exposition: async () => (await metrics.collect()).body }),
    );
  } finally {
    await metrics.shutdown();
    await tracing.shutdown();
  }
}

const sha256 = (query: string): string =>
  createHash('sha256')
    .update(print(parse(query)))
    .digest('hex');

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

const USER_WITH_POSTS = /* GraphQL */ `
  query UserWithPosts($id: ID!) {
    user(id: $id) {
      name
      posts {
        title
        author {
          name
        }
      }
    }
  }
`;

describe('a query through graphql-yoga over HTTP', () => {
  it('answers as before, with one operation span, nested resolver spans and metrics', async () => {
    await withServer({}, async ({ server, tracing, exposition }) => {
      const res = await server.query(USER_WITH_POSTS, { id: '1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: {
          user: {
            name: 'Ada',
            posts: [
              { title: 'Engines', author: { name: 'Ada' } },
              { title: 'Notes', author: { name: 'Ada' } },
            ],
          },
        },
      });

      const spans = tracing.spans();
      const op = only(spans, 'query UserWithPosts');
      expect(op.kind).toBe(SpanKind.SERVER);
      expect(op.instrumentationScope.name).toBe('@autoweave/integration-graphql');
      expect(op.status.code).toBe(SpanStatusCode.UNSET);
      expect(op.attributes).toMatchObject({
        'graphql.operation.type': 'query',
        'graphql.operation.name': 'UserWithPosts',
        'graphql.document.hash': sha256(USER_WITH_POSTS),
        'tenant.id': 'acme',
        'autoweave.graphql.outcome': 'success',
      });

      const user = only(spans, 'graphql.resolve Query.user');
      const posts = only(spans, 'graphql.resolve User.posts');
      const authors = tracing.byName('graphql.resolve Post.author');
      expect(parentOf(user)).toBe(op.spanContext().spanId);
      expect(parentOf(posts)).toBe(user.spanContext().spanId);
      // Only the first item of a list is traced (listItemSpans: 'first'); every item is timed.
      expect(authors.map(parentOf)).toEqual([posts.spanContext().spanId]);
      expect(authors.map((s) => s.attributes['graphql.field.path'])).toEqual(['user.posts.0.author']);
      expect(op.attributes['autoweave.graphql.resolver_spans_skipped']).toBe(1);
      expect(posts.attributes).toEqual({
        'graphql.field.name': 'posts',
        'graphql.field.path': 'user.posts',
        'graphql.field.type': '[Post!]!',
        'graphql.parent.type': 'User',
      });
      // Default resolvers (property reads) get no span.
      expect(spans.filter((s) => s.name.endsWith('.name') || s.name.endsWith('.title'))).toEqual([]);
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

      const text = await exposition();
      expect(operationCount(text, 'UserWithPosts', 'query', 'success')).toBe(1);
      expect(sample(text, `${METRICS.resolverDuration}_count`, { field: 'Query.user' })).toBe(1);
      expect(sample(text, `${METRICS.resolverDuration}_count`, { field: 'User.posts' })).toBe(1);
      expect(sample(text, `${METRICS.resolverDuration}_count`, { field: 'Post.author' })).toBe(2);
      expect(sample(text, `${METRICS.resolverDuration}_count`, { field: 'User.name' })).toBeUndefined();
      expect(text).not.toContain(METRICS.errors + '{');
    });
  });

  it('ends a failing mutation with ERROR spans, counts it by code and still answers the client', async () => {
    await withServer({}, async ({ server, tracing, exposition }) => {
      const res = await server.query(
        'mutation Fail($token: String!) { failingMutation(token: $token) { id } }',
        {
          token: 'tok_123',
        },
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ failingMutation: null });
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors?.[0]?.path).toEqual(['failingMutation']);

      const resolver = only(tracing.spans(), 'graphql.resolve Mutation.failingMutation');
      expect(resolver.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'database connection reset (password=hunter2)',
      });
      expect(resolver.events.map((e) => e.name)).toEqual(['exception']);
      const op = only(tracing.spans(), 'mutation Fail');
      expect(op.status.code).toBe(SpanStatusCode.ERROR);
      expect(op.attributes).toMatchObject({
        'graphql.operation.type': 'mutation',
        'autoweave.graphql.outcome': 'error',
        'autoweave.graphql.errors': 1,
        'error.type': 'INTERNAL_SERVER_ERROR',
      });
      expect(op.events[0]?.attributes?.['exception.message']).toBe(
        'database connection reset (password=hunter2)',
      );

      const text = await exposition();
      expect(operationCount(text, 'Fail', 'mutation', 'error')).toBe(1);
      expect(sample(text, METRICS.errors, { code: 'INTERNAL_SERVER_ERROR' })).toBe(1);
      expect(sample(text, `${METRICS.resolverDuration}_count`, { field: 'Mutation.failingMutation' })).toBe(
        1,
      );
    });
  });

  it('rejects a too-deep query before executing it, says which limit, and counts every rejection', async () => {
    await withServer({ guards: { maxDepth: 4 } }, async ({ server, tracing, exposition }) => {
      const deep = 'query Deep { user(id: "1") { friends { friends { friends { friends { name } } } } } }';
      for (let i = 0; i < 2; i++) {
        // The second time yoga answers from its validation cache; the rejection still counts.
        const res = await server.query(deep);
        expect(res.status).toBe(400);
        expect(res.body.data).toBeUndefined();
        expect(res.body.errors).toEqual([
          {
            message: 'Operation rejected: query depth 6 exceeds the limit of 4 (maxDepth).',
            extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: { rule: 'depth', max: 4 } },
          },
        ]);
      }
      expect(tracing.spans().filter((s) => s.name.startsWith('graphql.resolve'))).toEqual([]);
      const ops = tracing.byName('query Deep');
      expect(ops).toHaveLength(2);
      expect(ops[0]?.attributes).toMatchObject({
        'autoweave.graphql.outcome': 'rejected',
        'autoweave.graphql.rejected_rule': 'depth',
      });

      const text = await exposition();
      expect(sample(text, METRICS.rejected, { rule: 'depth' })).toBe(2);
      expect(operationCount(text, 'Deep', 'query', 'rejected')).toBe(2);
      expect(sample(text, METRICS.errors, { code: 'OPERATION_LIMIT_EXCEEDED' })).toBe(2);

      // Within the limit the same server answers normally.
      const ok = await server.query('{ user(id: "1") { friends { name } } }');
      expect(ok.body).toEqual({ data: { user: { friends: [{ name: 'Grace' }] } } });
    });
  });

  it('answers malformed GraphQL with a clear syntax error, counts it, and keeps serving', async () => {
    await withServer({}, async ({ server, tracing, exposition }) => {
      for (let i = 0; i < 2; i++) {
        // The second time yoga throws the cached parse error from its own hook; it is still seen.
        const res = await server.query('query Broken { user(id: "1") { name }');
        expect(res.status).toBe(400);
        expect(res.body.errors?.[0]?.message).toBe('Syntax Error: Expected Name, found <EOF>.');
        expect(res.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_PARSE_FAILED');
      }
      const ops = tracing.byName('GraphQL Operation');
      expect(ops).toHaveLength(2);
      expect(ops[0]?.status.code).toBe(SpanStatusCode.ERROR);
      expect(ops[0]?.attributes).toMatchObject({
        'autoweave.graphql.outcome': 'invalid',
        'error.type': 'GRAPHQL_PARSE_FAILED',
      });
      const invalid = await server.query('{ user(id: "1") { nickname } }');
      expect(invalid.status).toBe(400);
      expect(invalid.body.errors?.[0]?.message).toBe('Cannot query field "nickname" on type "User".');

      const text = await exposition();
      expect(sample(text, METRICS.errors, { code: 'GRAPHQL_PARSE_FAILED' })).toBe(2);
      expect(sample(text, METRICS.errors, { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
      expect(operationCount(text, '__unparsed__', 'unknown', 'invalid')).toBe(2);
      expect(operationCount(text, '__anonymous__', 'query', 'invalid')).toBe(1);
      expect((await server.query('{ version }')).body).toEqual({ data: { version: '1' } });
    });
  });

  it('emits an exposition that promtool check metrics accepts', async () => {
    await withServer({ guards: { maxDepth: 3 } }, async ({ server, exposition }) => {
      await server.query(USER_WITH_POSTS, { id: '2' });
      await server.query('mutation { failingMutation(token: "x") { id } }');
      await server.query('{ user(id: "1") { friends { friends { friends { name } } } } }');
      await server.query('{ broken');
      const text = await exposition();
      for (const name of Object.values(METRICS)) expect(text).toContain(`# TYPE ${name} `);
      const result = await checkMetrics(text);
      expect(result.stderr + result.stdout).toBe('');
      expect(result.ok).toBe(true);
    });
  });
});
