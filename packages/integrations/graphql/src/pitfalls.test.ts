// The four pitfalls of @envelop/opentelemetry, as behaviour of this plugin: it registers no global
// tracer provider, never puts arguments or variables on spans (unless an opt-in hook that goes through
// redaction), ends the span of a resolver that returns an Error, and leaves the query text out unless
// `includeDocument: true`.
import { SpanStatusCode, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parse, print } from 'graphql';
import { useAutoweaveGraphQL, type AutoweaveGraphQLOptions } from './index';
import { serve, testTracing, type TestServer, type TestTracing } from './test-fixtures/server';

const withServer = (options: AutoweaveGraphQLOptions, run: (server: TestServer) => Promise<void>) =>
  serve(useAutoweaveGraphQL(options), { tenant: 'acme' }, run);

/** Everything a span carries that an exporter would send: attribute and event attribute values. */
function exported(spans: ReadableSpan[]): string {
  return JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events.map((e) => e.attributes)]));
}

const SECRET_QUERY = /* GraphQL */ `
  query Secret($ssn: String!) {
    secretEcho(ssn: $ssn)
    user(id: "1") {
      name
    }
  }
`;
const SECRET_MUTATION = 'mutation { createPost(title: "hello", secret: "inline-hunter2") { id } }';

let tracing: TestTracing;
beforeEach(() => {
  tracing = testTracing();
});
afterEach(async () => {
  trace.disable();
  await tracing.shutdown();
});

describe('no global tracer provider', () => {
  it('leaves trace.getTracerProvider() as it was, with or without a tracerProvider option', async () => {
    const global = trace.getTracerProvider();
    const delegate = (global as ProxyTracerProvider).getDelegate();
    await withServer({}, async (server) => {
      expect((await server.query('{ version }')).body).toEqual({ data: { version: '1' } });
    });
    await withServer({ tracerProvider: tracing.provider }, async (server) => {
      await server.query('{ version }');
    });
    expect(trace.getTracerProvider()).toBe(global);
    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(delegate);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    expect(tracing.byName('query')).toHaveLength(1);
  });

  it("uses the application's global provider when none is passed, even one registered after the plugin", async () => {
    const plugin = useAutoweaveGraphQL({});
    trace.setGlobalTracerProvider(tracing.provider);
    await serve(plugin, {}, (server) => server.query('{ version }').then(() => undefined));
    expect(tracing.byName('query')).toHaveLength(1);
  });
});

describe('arguments and variables', () => {
  it('never puts argument or variable values on any span', async () => {
    await withServer({ tracerProvider: tracing.provider }, async (server) => {
      const res = await server.query(SECRET_QUERY, { ssn: '078-05-1120' });
      expect(res.body.data).toEqual({ secretEcho: 'ok 11', user: { name: 'Ada' } });
      await server.query(SECRET_MUTATION);
    });
    const spans = tracing.spans();
    expect(spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['query Secret', 'graphql.resolve Query.secretEcho', 'mutation']),
    );
    const text = exported(spans);
    expect(text).not.toContain('078-05-1120');
    expect(text).not.toContain('inline-hunter2');
    expect(text).not.toContain('hello');
    const keys = spans.flatMap((s) => Object.keys(s.attributes));
    expect(keys.filter((k) => /arg|variable|document$/.test(k))).toEqual([]);
  });

  it('records variables only through the opt-in hook, and redacts what it picks', async () => {
    const options: AutoweaveGraphQLOptions = {
      tracerProvider: tracing.provider,
      variableAttributes: (variables) => ({
        email: variables['email'],
        password: variables['password'],
        title: variables['title'],
      }),
    };
    await withServer(options, async (server) => {
      await server.query(
        'query Lookup($title: String!, $email: String!, $password: String!) { a: secretEcho(ssn: $title) b: secretEcho(ssn: $email) c: secretEcho(ssn: $password) }',
        { title: 'Release notes', email: 'ada@example.com', password: 'hunter2' },
      );
    });
    const op = tracing.byName('query Lookup')[0];
    expect(op?.attributes).toMatchObject({
      'autoweave.graphql.variables.title': 'Release notes',
      'autoweave.graphql.variables.email': '[email]',
      'autoweave.graphql.variables.password': '[redacted]',
    });
    expect(exported(tracing.spans())).not.toMatch(/hunter2|ada@example\.com/);
  });
});

describe('resolvers that return an Error', () => {
  it('end their span with ERROR status, so the span is exported', async () => {
    await withServer({ tracerProvider: tracing.provider }, async (server) => {
      const res = await server.query('query R { returnsError version }');
      expect(res.body.data).toEqual({ returnsError: null, version: '1' });
      expect(res.body.errors?.[0]?.path).toEqual(['returnsError']);
    });
    const [span] = tracing.byName('graphql.resolve Query.returnsError');
    expect(span).toBeDefined();
    expect(span?.ended).toBe(true);
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'returned, not thrown' });
    expect(span?.events[0]?.attributes?.['exception.message']).toBe('returned, not thrown');
    expect(tracing.byName('graphql.resolve Query.version')[0]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(tracing.byName('query R')[0]?.attributes['autoweave.graphql.outcome']).toBe('error');
  });
});

describe('the query text', () => {
  const query = '{ user(id: "1") { name } secretEcho(ssn: "ada@example.com") }';

  it('is absent by default: only its sha256 is on the span', async () => {
    await withServer({ tracerProvider: tracing.provider }, async (server) => {
      await server.query(query);
    });
    const [op] = tracing.byName('query');
    expect(op?.attributes['graphql.document']).toBeUndefined();
    expect(op?.attributes['graphql.document.hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(exported(tracing.spans())).not.toMatch(/secretEcho\(|ada@example\.com/);
  });

  it('is on the span, printed and redacted, with includeDocument: true', async () => {
    await withServer({ tracerProvider: tracing.provider, includeDocument: true }, async (server) => {
      await server.query(query);
    });
    const [op] = tracing.byName('query');
    expect(op?.attributes['graphql.document']).toBe(
      print(parse(query)).replace('ada@example.com', '[email]'),
    );
  });
});
