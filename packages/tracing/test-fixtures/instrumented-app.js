'use strict';
// Child process for auto-instrumentation.test.ts: require-hook instrumentations cannot patch inside
// Jest's module registry, so this plain Node script starts tracing from the built package, then
// serves one HTTP request that calls Redis, and exits after flushing.
const { startTracing } = require('../dist/index.js');

const tracing = startTracing({
  serviceName: 'instrumented-fixture',
  endpoint: process.env.OTLP_ENDPOINT,
  instrumentations: { http: true, ioredis: true },
  batch: { scheduledDelayMillis: 100 },
});

// Required after startTracing so the require hooks patch them.
const http = require('http');
const { Redis } = require('ioredis');

async function main() {
  const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  const server = http.createServer((req, res) => {
    redis
      .set('autoweave:tracing:fixture', 'hello', 'EX', 60)
      .then(() => redis.get('autoweave:tracing:fixture'))
      .then(
        (value) => res.end(value),
        (error) => {
          res.statusCode = 500;
          res.end(String(error));
        },
      );
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const body = await new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/work`, (res) => {
        let data = '';
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve(data));
      })
      .on('error', reject);
  });
  await new Promise((resolve) => server.close(resolve));
  await redis.quit();
  await tracing.shutdown();
  process.stdout.write(JSON.stringify({ body, stats: tracing.stats() }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exitCode = 1;
});
