// The options as behaviour: which resolvers are traced, the bounds on spans and label values, what a
// bad option says, and what shutdown() takes away again.
import { envelop, useEngine, useSchema } from '@envelop/core';
import { ROOT_CONTEXT, TraceFlags, context, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { execute, parse, specifiedRules, subscribe, validate, type GraphQLSchema } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import { useAsyncContext } from '@autoweave/test-utils';
import { GraphQLOptionsError, METRICS, useAutoweaveGraphQL, type AutoweaveGraphQLOptions } from './index';
import { TRIVIAL_RESOLVER_STREAK } from './resolvers';
import {
  blogSchema,
  operationCount,
  sample,
  serve,
  testTracing,
  type TestServer,
  type TestTracing,
} from './test-fixtures/server';

let tracing: TestTracing;
let metrics: MetricsHandle;
beforeEach(() => {
  tracing = testTracing();
  metrics = createMetrics({ defaultMetrics: false });
});
afterEach(async () => {
  await metrics.shutdown();
  await tracing.shutdown();
});

const withServer = (options: AutoweaveGraphQLOptions, run: (server: TestServer) => Promise<void>) =>
  serve(useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics, ...options }), {}, run);

const exposition = async (): Promise<string> => (await metrics.collect()).body;
const resolverSpanNames = (): string[] =>
  tracing
    .spans()
    .map((s) => s.name)
    .filter((n) => n.startsWith('graphql.resolve'))
    .sort();

const POSTS = '{ user(id: "2") { name posts { title } } }';

describe('resolvers', () => {
  it("'none' traces and times no resolver", async () => {
    await withServer({ resolvers: 'none' }, async (server) => {
      expect((await server.query(POSTS)).body.data).toEqual({
        user: { name: 'Grace', posts: [{ title: 'Compilers' }] },
      });
    });
    expect(resolverSpanNames()).toEqual([]);
    expect(tracing.byName('query')).toHaveLength(1);
    expect(await exposition()).not.toContain(`${METRICS.resolverDuration}_count`);
  });

  it("'all' includes the default resolvers", async () => {
    await withServer({ resolvers: 'all' }, async (server) => {
      await server.query(POSTS);
    });
    expect(resolverSpanNames()).toEqual([
      'graphql.resolve Post.title',
      'graphql.resolve Query.user',
      'graphql.resolve User.name',
      'graphql.resolve User.posts',
    ]);
    expect(sample(await exposition(), `${METRICS.resolverDuration}_count`, { field: 'User.name' })).toBe(1);
  });

  it('stops adding resolver spans at maxResolverSpans, says how many were left out, and still times them all', async () => {
    await withServer({ maxResolverSpans: 2, listItemSpans: 'all' }, async (server) => {
      await server.query('{ users { posts { author { name } } } }');
    });
    // users (1) + posts (2) + author (3) resolvers run; 2 spans are kept.
    expect(resolverSpanNames()).toHaveLength(2);
    expect(tracing.byName('query')[0]?.attributes['autoweave.graphql.resolver_spans_skipped']).toBe(4);
    expect(sample(await exposition(), `${METRICS.resolverDuration}_count`, { field: 'Post.author' })).toBe(3);
  });

  it("traces the first item of each list by default and every item with listItemSpans: 'all'", async () => {
    const query = '{ users { posts { author { name } } } }';
    await withServer({}, async (server) => {
      await server.query(query);
    });
    const paths = () =>
      tracing
        .spans()
        .filter((s) => s.name.startsWith('graphql.resolve'))
        .map((s) => s.attributes['graphql.field.path'])
        .sort();
    expect(paths()).toEqual(['users', 'users.0.posts', 'users.0.posts.0.author']);
    expect(tracing.byName('query')[0]?.attributes['autoweave.graphql.resolver_spans_skipped']).toBe(3);
    tracing.reset();
    await withServer({ listItemSpans: 'all' }, async (server) => {
      await server.query(query);
    });
    expect(paths()).toEqual([
      'users',
      'users.0.posts',
      'users.0.posts.0.author',
      'users.0.posts.1.author',
      'users.1.posts',
      'users.1.posts.0.author',
    ]);
    expect(sample(await exposition(), `${METRICS.resolverDuration}_count`, { field: 'Post.author' })).toBe(6);
  });

  it('stops tracing a field whose resolver keeps being trivial, and traces it again when it is not', async () => {
    let slow = false;
    const schema = createSchema({
      typeDefs: 'type Query { label: String, later: String }',
      resolvers: {
        Query: {
          label: () => {
            // A sync resolver that starts doing real work (1 ms of CPU) is not trivial any more.
            for (const until = performance.now() + (slow ? 1 : 0); performance.now() < until;);
            return 'x';
          },
          later: () => Promise.resolve('y'),
        },
      },
    });
    const labelSpans = () => tracing.byName('graphql.resolve Query.label').length;
    const run = async (server: TestServer, times: number) => {
      for (let i = 0; i < times; i++) await server.query('{ label later }');
    };
    let calls = 0;
    await serve(
      useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics }),
      { schema },
      async (server) => {
        // Until the label has had no span 3 times in a row; a call slowed by a GC pause on a busy
        // machine restarts the streak, hence the loop rather than a fixed count.
        let withoutSpan = 0;
        while (withoutSpan < 3 && calls < 300) {
          const before = labelSpans();
          await run(server, 1);
          calls++;
          withoutSpan = labelSpans() === before ? withoutSpan + 1 : 0;
        }
        expect(withoutSpan).toBe(3);
        expect(labelSpans()).toBeGreaterThanOrEqual(TRIVIAL_RESOLVER_STREAK);
        // Only timed now, and counted as skipped on the operation span; the async field keeps its spans.
        expect(tracing.byName('graphql.resolve Query.later')).toHaveLength(calls);
        expect(tracing.byName('query').at(-1)?.attributes['autoweave.graphql.resolver_spans_skipped']).toBe(
          1,
        );
        const spans = labelSpans();
        slow = true;
        await run(server, 2); // the slow call resets the streak, so the next call has a span again
        calls += 2;
        expect(labelSpans()).toBe(spans + 1);
      },
    );
    expect(sample(await exposition(), `${METRICS.resolverDuration}_count`, { field: 'Query.label' })).toBe(
      calls,
    );

    tracing.reset();
    await serve(
      useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics, traceTrivialResolvers: true }),
      {
        schema: createSchema({
          typeDefs: 'type Query { label: String, later: String }',
          resolvers: { Query: { label: () => 'x', later: () => 'y' } },
        }),
      },
      (server) => run(server, TRIVIAL_RESOLVER_STREAK + 4),
    );
    expect(labelSpans()).toBe(TRIVIAL_RESOLVER_STREAK + 4);
  });

  it('gives resolver observations the exemplar of their own span, or of the nearest traced ancestor', async () => {
    const stopContext = useAsyncContext(); // exemplars come from the active span
    try {
      await withServer({}, async (server) => {
        await server.query(POSTS);
      });
    } finally {
      stopContext();
    }
    const text = (await metrics.collect('openmetrics')).body;
    const exemplarSpan = (field: string) =>
      text
        .split('\n')
        .find(
          (l) =>
            l.startsWith(`${METRICS.resolverDuration}_bucket{`) &&
            l.includes(`field="${field}"`) &&
            l.includes('span_id'),
        )
        ?.match(/span_id="(\w+)"/)?.[1];
    const spanId = (name: string) => tracing.byName(name)[0]?.spanContext().spanId;
    expect(exemplarSpan('Query.user')).toBe(spanId('graphql.resolve Query.user'));
    expect(exemplarSpan('User.posts')).toBe(spanId('graphql.resolve User.posts'));
  });

  it("times resolvers of sampled operations only, unless resolverMetrics: 'all'", async () => {
    const unsampled = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
    for (const resolverMetrics of ['sampled', 'all'] as const) {
      await serve(
        useAutoweaveGraphQL({ tracerProvider: unsampled, metrics, resolverMetrics }),
        {},
        async (server) => {
          await server.query(POSTS);
        },
      );
    }
    const text = await exposition();
    // Only the 'all' run observed; both runs measured the operation.
    expect(sample(text, `${METRICS.resolverDuration}_count`, { field: 'Query.user' })).toBe(1);
    expect(operationCount(text, '__anonymous__', 'query', 'success')).toBe(2);
    await unsampled.shutdown();
  });

  it('bounds the field label at resolverFieldCap', async () => {
    await withServer({ resolverFieldCap: 1 }, async (server) => {
      await server.query(POSTS);
    });
    const text = await exposition();
    const fields = [
      ...text.matchAll(new RegExp(`${METRICS.resolverDuration}_count\\{field="([^"]+)"`, 'g')),
    ].map((m) => m[1]);
    expect(fields).toHaveLength(2);
    expect(fields).toContain('__overflow__');
  });
});

describe('operation names', () => {
  const countOf = (text: string, name: string) => operationCount(text, name, 'query', 'success');

  it('outside the allow-list become __overflow__ in labels and leave the span name generic', async () => {
    await withServer({ operationNames: ['Known'] }, async (server) => {
      await server.query('query Known { version }');
      await server.query('query Other { version }');
    });
    const text = await exposition();
    expect(countOf(text, 'Known')).toBe(1);
    expect(countOf(text, 'Other')).toBeUndefined();
    expect(countOf(text, '__overflow__')).toBe(1);
    expect(tracing.spans().map((s) => s.name)).toEqual(expect.arrayContaining(['query Known', 'query']));
    expect(tracing.byName('query')[0]?.attributes['graphql.operation.name']).toBe('Other');
  });

  it('beyond the cap become __overflow__, while anonymous operations keep their own label', async () => {
    await withServer({ operationNames: { cap: 2 } }, async (server) => {
      for (const name of ['A', 'B', 'C', 'D']) await server.query(`query ${name} { version }`);
      await server.query('{ version }');
    });
    const text = await exposition();
    expect([countOf(text, 'A'), countOf(text, 'B'), countOf(text, '__overflow__')]).toEqual([1, 1, 2]);
    expect(countOf(text, '__anonymous__')).toBe(1);
  });
});

describe('bad options', () => {
  it.each([
    [{ resolvers: 'some' }, "resolvers: must be 'non-default', 'all', 'none'; got some"],
    [{ listItemSpans: 2 }, "listItemSpans: must be 'first', 'all'; got 2"],
    [{ resolverMetrics: 'some' }, "resolverMetrics: must be 'sampled', 'all'; got some"],
    [{ maxResolverSpans: -1 }, 'maxResolverSpans: must be an integer >= 0, got -1'],
    [{ operationNames: [''] }, 'operationNames: must be an array of non-empty operation names'],
    [{ operationNames: { cap: 'many' } }, 'operationNames.cap: must be an integer >= 0, got many'],
    [{ guards: { maxDepth: 0 } }, 'guards.maxDepth: must be an integer >= 1, got 0'],
    [{ maskErrors: 'yes' }, 'maskErrors: must be true or false, got yes'],
    [{ tracerProvider: {} }, 'tracerProvider: must be an OpenTelemetry TracerProvider (getTracer)'],
    [{ metrics: {} }, 'metrics: must be a MetricsHandle from createMetrics() of @autoweave/metrics'],
    [
      { logger: { warn: () => undefined } },
      'logger: must have warn(message, meta?) and error(message, meta?) methods',
    ],
  ])('%j fails at creation with %s', (options, message) => {
    let thrown: unknown;
    try {
      useAutoweaveGraphQL(options as AutoweaveGraphQLOptions);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GraphQLOptionsError);
    expect((thrown as Error).message).toBe(message);
  });
});

function envelopWith(schema: GraphQLSchema, plugins: ReturnType<typeof useAutoweaveGraphQL>[]) {
  return envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(schema),
      ...plugins,
    ],
  });
}

describe('parent sampling', () => {
  it('makes no operation span under an unsampled parent, unless followParentSampling: false', async () => {
    const unsampled = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
    };
    // A sampler that records everything, so only the plugin's own choice can leave spans out.
    const alwaysOn = new BasicTracerProvider({
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new SimpleSpanProcessor(tracing.exporter)],
    });
    const stopContext = useAsyncContext();
    const run = async (options: AutoweaveGraphQLOptions) => {
      const plugin = useAutoweaveGraphQL({ tracerProvider: alwaysOn, metrics, ...options });
      const {
        parse: p,
        validate: v,
        execute: e,
        contextFactory,
        schema,
      } = envelopWith(blogSchema(), [plugin])({});
      const document = p('query Named { user(id: "1") { name } }');
      expect(v(schema, document)).toEqual([]);
      const result: unknown = await context.with(
        trace.setSpanContext(ROOT_CONTEXT, unsampled),
        async (): Promise<unknown> =>
          (await e({ schema, document, contextValue: await contextFactory() })) as unknown,
      );
      await plugin.shutdown();
      return result;
    };
    try {
      expect(await run({})).toEqual({ data: { user: { name: 'Ada' } } });
      expect(tracing.spans()).toEqual([]);
      // still measured
      expect(operationCount(await exposition(), 'Named', 'query', 'success')).toBe(1);

      expect(await run({ followParentSampling: false })).toEqual({ data: { user: { name: 'Ada' } } });
      const op = tracing.byName('query Named')[0];
      expect(op?.parentSpanContext?.spanId).toBe(unsampled.spanId);
      expect(tracing.byName('graphql.resolve Query.user')).toHaveLength(1);
    } finally {
      stopContext();
      await alwaysOn.shutdown();
    }
  });
});

describe('shutdown()', () => {
  it('puts the original resolvers back and records nothing more', async () => {
    const schema = blogSchema();
    const fields = schema.getQueryType()?.getFields();
    const original = fields?.['user']?.resolve;
    const plugin = useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics });
    const getEnveloped = envelopWith(schema, [plugin]);
    expect(fields?.['user']?.resolve).not.toBe(original);

    const run = async (): Promise<unknown> => {
      const { parse: p, validate: v, execute: e, contextFactory, schema: s } = getEnveloped({});
      const document = p('{ user(id: "1") { name } }');
      expect(v(s, document)).toEqual([]);
      return (await e({ schema: s, document, contextValue: await contextFactory() })) as unknown;
    };
    expect(await run()).toEqual({ data: { user: { name: 'Ada' } } });
    expect(tracing.spans().map((x) => x.name)).toEqual(['graphql.resolve Query.user', 'query']);

    await plugin.shutdown();
    await plugin.shutdown();
    expect(fields?.['user']?.resolve).toBe(original);
    tracing.reset();
    expect(await run()).toEqual({ data: { user: { name: 'Ada' } } });
    expect(tracing.spans()).toEqual([]);
  });

  it('leaves a schema shared with an uninstrumented server alone for that server', async () => {
    const schema = blogSchema();
    const plain = envelopWith(schema, []);
    const plugin = useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics });
    envelopWith(schema, [plugin]);
    const { parse: p, execute: e, contextFactory, schema: s } = plain({});
    const result = await e({
      schema: s,
      document: p('{ user(id: "1") { name } }'),
      contextValue: await contextFactory(),
    });
    expect(result).toEqual({ data: { user: { name: 'Ada' } } });
    expect(tracing.spans()).toEqual([]);
    await plugin.shutdown();
  });

  it('lets two plugins share one metrics handle', async () => {
    const first = useAutoweaveGraphQL({ metrics });
    const second = useAutoweaveGraphQL({ metrics });
    await Promise.all([first.shutdown(), second.shutdown()]);
    expect(await exposition()).toContain(`# TYPE ${METRICS.operationDuration} histogram`);
  });
});
