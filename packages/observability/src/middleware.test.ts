import { request } from 'node:http';
import { initializeObservability, type ObservabilityManager } from './index';
import { serve, waitFor, type TestServer } from './test-fixtures/server';

describe('createHTTPMiddleware edge cases', () => {
  let obs: ObservabilityManager;
  let server: TestServer;

  beforeAll(async () => {
    obs = initializeObservability({ serviceName: 'middleware-test', logStream: false, env: {} });
    await obs.initialize();
    const middleware = obs.createHTTPMiddleware({
      authenticate: () => {
        throw new Error('auth backend down');
      },
      ignorePaths: ['/static/*'],
    });
    server = await serve((req, res) =>
      middleware(req, res, () => {
        if (req.url === '/slow') setTimeout(() => res.end('late'), 300);
        else res.end('ok');
      }),
    );
  });

  afterAll(async () => {
    await server.close();
    await obs.shutdown();
  });

  const exposition = async () => (await obs.metrics.collect()).body;

  test('a non-standard method is _OTHER in the label and HTTP in the span name; authenticate throwing means anonymous', async () => {
    expect((await fetch(`${server.url}/graphql`, { method: 'PROPFIND' })).status).toBe(200);
    const trace = obs.recentTraces?.traces().find((t) => t.name === 'HTTP /graphql');
    expect(trace?.roots[0]?.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PROPFIND',
    });
    expect(trace?.tenant).toBeUndefined();
    expect(await exposition()).toMatch(
      /^autoweave_requests_total\{method="_OTHER",route="\/graphql",status_class="2xx"\} 1$/m,
    );
  });

  test('ignored paths (prefix with /*) get no span and no count', async () => {
    const before = obs.stats().http.exported;
    await fetch(`${server.url}/static/app.js`);
    expect(obs.stats().http.exported).toBe(before);
    expect(
      obs.recentTraces?.traces().some((t) => t.roots[0]?.attributes['url.path'] === '/static/app.js'),
    ).toBe(false);
  });

  test('a client that disconnects before the response is counted once, its span marked aborted', async () => {
    const before = obs.stats().http.exported;
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/slow`);
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await waitFor(() => obs.stats().http.exported === before + 1, 'the aborted request to be recorded');
    const span = obs.recentTraces?.traces().find((t) => t.roots[0]?.attributes['url.path'] === '/slow')
      ?.roots[0];
    expect(span?.attributes['error.type']).toBe('aborted');
    // The late res.end() must not record the request a second time.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(obs.stats().http.exported).toBe(before + 1);
  });
});
