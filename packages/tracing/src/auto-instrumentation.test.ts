import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { getRedis, startOtlpPeer, type OtlpPeer, type RedisForTests } from '@autoweave/test-utils';

const FIXTURE = join(__dirname, '..', 'test-fixtures', 'instrumented-app.js');

function runFixture(env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`fixture failed: ${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

describe('auto-instrumentation (child process: require hooks do not patch inside Jest)', () => {
  let peer: OtlpPeer;
  let redis: RedisForTests;
  beforeAll(async () => {
    peer = await startOtlpPeer();
    redis = await getRedis(); // a real Redis, or a clear error
  });
  afterAll(async () => {
    await peer.stop();
    await redis.stop();
  });

  test('http client, http server and ioredis spans arrive over OTLP in one trace', async () => {
    const { stdout } = await runFixture({ ...process.env, OTLP_ENDPOINT: peer.url, REDIS_URL: redis.url });
    const result = JSON.parse(stdout) as { body: string; stats: { dropped: Record<string, number> } };
    expect(result.body).toBe('hello');
    expect(result.stats.dropped).toEqual({ queue_full: 0, export_failed: 0, shutdown: 0 });

    const spans = await peer.waitForSpans(
      4,
      30_000,
      (s) => s.resource['service.name'] === 'instrumented-fixture',
    );
    const client = spans.find((s) => s.kind === 'CLIENT' && s.scope.name.includes('http'));
    const server = spans.find((s) => s.kind === 'SERVER' && s.scope.name.includes('http'));
    const redisSpans = spans.filter((s) => s.scope.name.includes('ioredis'));
    expect(client).toBeDefined();
    expect(server).toBeDefined();
    expect(server?.parentSpanId).toBe(client?.spanId);
    expect(server?.traceId).toBe(client?.traceId);
    expect(redisSpans.map((s) => s.name).sort()).toEqual(expect.arrayContaining(['get', 'set']));
    for (const s of redisSpans.filter((r) => r.name === 'get' || r.name === 'set')) {
      expect(s.kind).toBe('CLIENT');
      expect(s.traceId).toBe(server?.traceId);
      expect(s.parentSpanId).toBe(server?.spanId);
    }
  });
});
