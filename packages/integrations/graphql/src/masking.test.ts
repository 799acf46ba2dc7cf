// Masked errors in production: the client sees "Unexpected error." for what the server did not mean to
// say, the real error goes to the log and the span, and GraphQLErrors raised on purpose pass through.
// yoga's own masking is turned off here so that what the client sees is this plugin's doing.
import { SpanStatusCode } from '@opentelemetry/api';
import { createLogger, type LoggerHandle } from '@autoweave/logging';
import { captureJsonLines, type CapturedLines } from '@autoweave/test-utils';
import { MASKED_ERROR_MESSAGE, useAutoweaveGraphQL, type AutoweaveGraphQLOptions } from './index';
import {
  serve,
  testTracing,
  type StartOptions,
  type TestServer,
  type TestTracing,
} from './test-fixtures/server';

let tracing: TestTracing;
let out: CapturedLines;
let log: LoggerHandle;

beforeEach(() => {
  tracing = testTracing();
  out = captureJsonLines();
  log = createLogger({ service: 'api', environment: 'test', stream: out.stream });
});
afterEach(async () => {
  await log.shutdown();
  await tracing.shutdown();
});

const withServer = (
  options: AutoweaveGraphQLOptions,
  run: (server: TestServer) => Promise<void>,
  server: Omit<StartOptions, 'plugins'> = {},
) =>
  serve(
    useAutoweaveGraphQL({ tracerProvider: tracing.provider, logger: log.logger, ...options }),
    { maskedErrors: false, ...server },
    run,
  );

const FAIL = 'mutation Fail { failingMutation(token: "x") { id } }';

describe('maskErrors: true', () => {
  it('answers an unexpected error with "Unexpected error.", logs it and records it on the span', async () => {
    await withServer({ maskErrors: true }, async (server) => {
      const res = await server.query(FAIL);
      expect(res.body).toEqual({
        data: { failingMutation: null },
        errors: [
          {
            message: MASKED_ERROR_MESSAGE,
            locations: [{ line: 1, column: 17 }],
            path: ['failingMutation'],
            // yoga strips its internal `unexpected` flag from the response.
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          },
        ],
      });
    });
    const logged = out.records().filter((r) => r['level'] === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      message: 'GraphQL error masked in the response',
      error: 'database connection reset (password=hunter2)',
      path: 'failingMutation',
    });
    const [op] = tracing.byName('mutation Fail');
    expect(op?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'database connection reset (password=hunter2)',
    });
    expect(op?.events[0]?.attributes?.['exception.message']).toBe(
      'database connection reset (password=hunter2)',
    );
  });

  it('lets GraphQLErrors the application raises on purpose through, unlogged', async () => {
    await withServer({ maskErrors: true }, async (server) => {
      const res = await server.query('{ forbidden }');
      expect(res.body.errors?.[0]).toMatchObject({
        message: 'You may not read this.',
        extensions: { code: 'FORBIDDEN' },
      });
    });
    expect(out.records().filter((r) => r['level'] === 'error')).toEqual([]);
  });

  it('masks a failing context factory too, and still ends the operation', async () => {
    const context = () => Promise.reject(new Error('session store unreachable at 10.0.0.7'));
    await withServer(
      { maskErrors: true },
      async (server) => {
        const res = await server.query('query Who { version }');
        expect(res.status).toBe(500);
        expect(res.body.errors?.map((e) => e.message)).toEqual([MASKED_ERROR_MESSAGE]);
        expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
      },
      { context },
    );
    const [op] = tracing.byName('query Who');
    expect(op?.attributes).toMatchObject({ 'autoweave.graphql.outcome': 'error' });
    expect(op?.status.message).toBe('session store unreachable at 10.0.0.7');
    expect(out.records().some((r) => r['error'] === 'session store unreachable at 10.0.0.7')).toBe(true);
  });
});

describe('maskErrors default', () => {
  const previous = process.env['NODE_ENV'];
  afterEach(() => {
    process.env['NODE_ENV'] = previous;
  });

  it('masks when NODE_ENV is production', async () => {
    process.env['NODE_ENV'] = 'production';
    await withServer({}, async (server) => {
      expect((await server.query(FAIL)).body.errors?.[0]?.message).toBe(MASKED_ERROR_MESSAGE);
    });
  });

  it('shows the real message otherwise (here: with yoga masking off too)', async () => {
    process.env['NODE_ENV'] = 'development';
    await withServer({}, async (server) => {
      expect((await server.query(FAIL)).body.errors?.[0]?.message).toBe(
        'database connection reset (password=hunter2)',
      );
    });
  });
});
