// The built package under plain Node, as a user without the optional peers installed gets it: the
// facade works, graphqlPlugin() says what to install, and after shutdown() the process exits by itself.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const DIST = join(__dirname, '..', 'dist', 'index.js');

const SCRIPT = String.raw`
const Module = require('node:module');
const http = require('node:http');
const blocked = new Set(['graphql', '@envelop/core', 'graphql-yoga', 'bullmq']);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (blocked.has(request)) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
const { initializeObservability } = require(process.argv[1]);
(async () => {
  const obs = initializeObservability({ serviceName: 'no-graphql', logStream: false, env: {} });
  await obs.initialize();
  const middleware = obs.createHTTPMiddleware();
  const server = http.createServer((req, res) => middleware(req, res, () => res.end('ok')));
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/graphql');
  let graphqlError = '';
  try {
    obs.graphqlPlugin();
  } catch (error) {
    graphqlError = error.message;
  }
  const out = { status: res.status, traces: obs.recentTraces.traces().map((t) => t.name), graphqlError };
  server.closeAllConnections();
  server.close();
  await obs.shutdown();
  process.stdout.write(JSON.stringify(out));
})();
`;

function runNode(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // the plain runtime users have
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', SCRIPT, DIST], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
        stdout,
        stderr,
      });
    });
  });
}

test('without graphql, @envelop/core and bullmq installed the facade works and exits after shutdown', async () => {
  const { code, stdout, stderr } = await runNode();
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({
    status: 200,
    traces: ['GET /graphql'],
    graphqlError: expect.stringMatching(
      /^graphqlPlugin\(\) needs graphql and @envelop\/core installed \(optional peer dependencies of @autoweave\/observability\): Cannot find module '(graphql|@envelop\/core)'/,
    ) as string,
  });
});
