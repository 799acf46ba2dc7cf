import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { freePort, getRedis, type RedisForTests } from '@autoweave/test-utils';
import { DEMO_KEYS } from '../demo-keys';
import { TYPE_DEFS } from '../schema';
import { startDemo } from '../test/demo-process';
import { CROSS_TENANT } from './mix';
import type { LoadReport } from './run';

const CLI = join(__dirname, '..', '..', 'dist', 'load', 'cli.js');
const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, PORT: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const MINI_SLO = {
  id: 'availability',
  description: 'd',
  objective: 0.999,
  sli: 1,
  errorBudgetRemaining: 1,
  status: 'OK',
};

interface MiniJob {
  id: string;
  tenant: string;
  plugin: string;
  state: string;
}

/**
 * A small graphql-yoga server with the demo's schema and rules (keys → tenants, jobs scoped to their
 * tenant, NOT_FOUND otherwise). With `leaky`, job(id) forgets the tenant check.
 */
interface MiniOptions {
  /** job(id) forgets the tenant check. */
  leaky?: boolean;
  /** Answer HTTP 500 after the two preflight queries, as a demo that broke mid-run. */
  failAfterPreflight?: boolean;
  /** Delay before each GraphQL answer. */
  delayMs?: number;
  /** job(id) is NOT_FOUND for every job, as if the demo had removed them. */
  forgetJobs?: boolean;
}

async function startMiniDemo({
  leaky = false,
  failAfterPreflight = false,
  delayMs = 0,
  forgetJobs = false,
}: MiniOptions = {}): Promise<{
  url: string;
  server: Server;
  received: string[];
  maxConcurrent: () => number;
}> {
  let concurrent = 0;
  let maxConcurrent = 0;
  const keys = new Map([
    ['key-a', 'acme'],
    ['key-g', 'globex'],
  ]);
  const jobs = new Map<string, MiniJob>();
  const received: string[] = [];
  const schema = createSchema<{ tenant: string }>({
    // The demo's own schema, so the load generator's queries are checked against what it serves.
    typeDefs: TYPE_DEFS,
    resolvers: {
      Query: {
        devices: () => [],
        plugins: () =>
          ['echo', 'slow-report', 'flaky-fetch'].map((name) => ({ name, version: '1.0.0', loaded: true })),
        job: (_: unknown, { id }: { id: string }, ctx: { tenant: string }) => {
          const job = jobs.get(id);
          if (job === undefined || forgetJobs || (!leaky && job.tenant !== ctx.tenant)) {
            throw new GraphQLError(`job ${id} not found`, { extensions: { code: 'NOT_FOUND' } });
          }
          return { ...job, attempts: 1, createdAt: new Date(0).toISOString() };
        },
        sloStatus: () => [MINI_SLO],
      },
      Mutation: {
        runPlugin: (_: unknown, { name }: { name: string }, ctx: { tenant: string }) => {
          const job = { id: String(jobs.size + 1), tenant: ctx.tenant, plugin: name, state: 'waiting' };
          jobs.set(job.id, job);
          setTimeout(() => (job.state = name === 'flaky-fetch' ? 'failed' : 'completed'), 50);
          return { ...job, attempts: 0, createdAt: new Date().toISOString() };
        },
        simulateUsbEvent: () => true,
      },
    },
  });
  const yoga = createYoga<{ tenant: string }>({
    schema,
    logging: false,
    context: ({ request }) => ({
      tenant: keys.get((request.headers.get('authorization') ?? '').replace(/^Bearer /, '')) ?? '',
    }),
  });
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', usb: { simulated: true } }));
      return;
    }
    received.push(req.headers.authorization ?? '');
    if (failAfterPreflight && received.length > 2) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('broken');
      return;
    }
    if (!keys.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ errors: [{ message: 'unknown key', extensions: { code: 'UNAUTHENTICATED' } }] }),
        );
      return;
    }
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    res.once('close', () => concurrent--);
    setTimeout(() => void yoga(req, res), delayMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    received,
    maxConcurrent: () => maxConcurrent,
  };
}

const ARGS = ['--key', 'acme=key-a', '--key', 'globex=key-g', '--job-wait', '5s'];

describe('demo-load CLI against a small graphql-yoga server', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  it('sends rps × duration requests over both tenants and reports operations, jobs and SLOs as JSON', async () => {
    const mini = await startMiniDemo();
    servers.push(mini.server);
    const result = await cli(['--url', mini.url, '--duration', '2s', '--rps', '25', '--json', ...ARGS]);
    expect(result.stderr).toContain('demo-load: 25 req/s for 2s');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report.sent).toBe(50);
    const all = report.operations.find((o) => o.operation === 'all');
    expect(report.operations.filter((o) => o.errors > 0)).toEqual([]);
    expect(all).toMatchObject({ requests: 50, errors: 0 });
    // Preflight (one plugins query per tenant), then the load split evenly, then job polls and sloStatus.
    const load = mini.received.slice(2, 52);
    expect(load.filter((a) => a === 'Bearer key-a')).toHaveLength(25);
    expect(report.simulate).toBe(true);
    expect(report.isolationViolations).toBe(0);
    expect(report.jobs.started).toBeGreaterThan(0);
    expect(report.jobs.unfinished).toBe(0);
    expect(report.jobs.completed + report.jobs.failed).toBe(report.jobs.started);
    expect(report.jobs.byPlugin['flaky-fetch']?.completed ?? 0).toBe(0);
    expect(report.slos).toEqual([MINI_SLO]);
  });

  it('keeps the rate when the server is slow (open loop): requests pile up instead of waiting', async () => {
    const mini = await startMiniDemo({ delayMs: 400 });
    servers.push(mini.server);
    const result = await cli(['--url', mini.url, '--duration', '2s', '--rps', '25', '--json', ...ARGS]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report.sent).toBe(50);
    // 25 req/s with 400 ms answers keeps about 10 requests in flight; a closed loop would keep 1.
    expect(mini.maxConcurrent()).toBeGreaterThanOrEqual(6);
    const all = report.operations.find((o) => o.operation === 'all');
    expect(all?.p50Ms).toBeGreaterThanOrEqual(400);
  });

  it('prints the summary tables, and exits 3 when another tenant job is visible', async () => {
    const mini = await startMiniDemo({ leaky: true });
    servers.push(mini.server);
    const result = await cli(['--url', mini.url, '--duration', '3s', '--rps', '30', '--seed', '3', ...ARGS]);
    expect(result.stdout).toMatch(/operation\s+requests\s+errors\s+p50 ms\s+p95 ms\s+p99 ms/);
    expect(result.stdout).toMatch(/\nall\s+90\s+\d+/);
    expect(result.stdout).toMatch(/Jobs: \d+ started, \d+ completed, \d+ failed, 0 unfinished/);
    expect(result.stdout).toMatch(/availability\s+99\.90%\s+100\.000%\s+100\.0%\s+OK/);
    expect(result.stdout).toContain('TENANT ISOLATION BROKEN');
    expect(result.code).toBe(3);
    // Not a terminal: plain progress lines, not a redrawn bar.
    expect(result.stderr).toMatch(/^load: 3s\/3s sent=90 /m);
    expect(result.stderr).not.toContain('\r');
  });

  it('stops polling a job the demo no longer knows, and counts it as missing', async () => {
    const mini = await startMiniDemo({ forgetJobs: true });
    servers.push(mini.server);
    const result = await cli([
      '--url',
      mini.url,
      '--duration',
      '1s',
      '--rps',
      '20',
      '--json',
      ...ARGS,
      '--job-wait',
      '60s',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report.jobs.started).toBeGreaterThan(0);
    expect(report.jobs).toMatchObject({
      completed: 0,
      failed: 0,
      unfinished: 0,
      missing: report.jobs.started,
    });
    // One round of polls found every job gone; it did not wait out the 60 s.
    expect(report.jobs.waitedMs).toBeLessThan(30_000);
  });

  it('exits 1 with how to start the demo when nothing listens', async () => {
    const port = await freePort();
    const result = await cli(['--url', `http://127.0.0.1:${port}`, '--duration', '1s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Cannot reach the demo at http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(result.stderr).toContain('pnpm demo');
  });

  it('stops sending on Ctrl-C and still prints the summary', async () => {
    const mini = await startMiniDemo();
    servers.push(mini.server);
    const child = spawn(process.execPath, [
      CLI,
      '--url',
      mini.url,
      '--duration',
      '60s',
      '--rps',
      '20',
      ...ARGS,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    // Once the load has begun (the mini server saw more than the two preflight queries).
    while (mini.received.length < 10) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stderr).toContain('demo-load: stopping');
    expect(stdout).toContain('Stopped early (Ctrl-C)');
    const sent = Number(/\nall\s+(\d+)/.exec(stdout)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(8);
    expect(sent).toBeLessThan(1200);
    expect(code).toBe(0);
  });

  it('exits 1 when every request of the run failed', async () => {
    const mini = await startMiniDemo({ failAfterPreflight: true });
    servers.push(mini.server);
    const result = await cli(['--url', mini.url, '--duration', '1s', '--rps', '10', ...ARGS]);
    expect(result.stdout).toMatch(/\nall\s+10\s+10\s/);
    expect(result.stdout).toContain('HTTP 500 (not JSON) ×');
    expect(result.stderr).toContain('every request failed');
    expect(result.code).toBe(1);
  });

  it('exits 1 naming the tenant when the demo refuses its key', async () => {
    const mini = await startMiniDemo();
    servers.push(mini.server);
    const result = await cli(['--url', mini.url, '--duration', '1s', '--key', 'acme=wrong']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Tenant "acme": the demo refused the plugins query (UNAUTHENTICATED: unknown key)',
    );
  });

  it('exits 2 on a bad flag, saying the expected format', async () => {
    const result = await cli(['--duration', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--duration: "abc" is not a duration; use a number with a unit, e.g. 30s, 2m',
    );
  });
});

describe('demo-load CLI against the real demo', () => {
  let redis: RedisForTests;
  beforeAll(async () => {
    redis = await getRedis();
  });
  afterAll(() => redis.stop());

  it('runs every operation for both tenants, sees other-tenant jobs as NOT_FOUND, and waits for the jobs', async () => {
    const demo = await startDemo({ REDIS_URL: redis.url });
    try {
      const result = await cli([
        '--url',
        demo.url,
        '--duration',
        '4s',
        '--rps',
        '25',
        '--job-wait',
        '20s',
        '--json',
        '--key',
        `acme=${DEMO_KEYS.acme}`,
        '--key',
        `globex=${DEMO_KEYS.globex}`,
      ]);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as LoadReport;
      expect(report.simulate).toBe(true);
      expect(report.plugins.sort()).toEqual(['echo', 'flaky-fetch', 'slow-report']);
      const ops = new Map(report.operations.map((o) => [o.operation, o]));
      for (const op of [
        'devices',
        'plugins',
        'runPlugin echo',
        'runPlugin slow-report',
        'runPlugin flaky-fetch',
        'simulateUsbEvent',
      ]) {
        expect(ops.get(op)?.requests).toBeGreaterThan(0);
      }
      // Every request succeeds (flaky-fetch fails inside its job, not the request); cross-tenant
      // lookups count as good only when the demo answered NOT_FOUND.
      expect(ops.get('all')).toMatchObject({ requests: 100, errors: 0 });
      expect(ops.get(CROSS_TENANT)?.requests).toBeGreaterThan(0);
      expect(report.isolationViolations).toBe(0);
      expect(report.jobs.unfinished).toBe(0);
      expect(report.jobs.completed).toBeGreaterThan(0);
      expect(report.jobs.completed + report.jobs.failed).toBe(report.jobs.started);
      expect(report.slos.map((s) => s.id).sort()).toEqual(
        ['availability', 'operation-errors', 'plugin-load-latency', 'usb-event-latency'].sort(),
      );
      for (const slo of report.slos) expect(['OK', 'WARNING', 'CRITICAL', 'NO_DATA']).toContain(slo.status);
      expect(report.slos.find((s) => s.id === 'availability')?.status).toBe('OK');
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  });
});
