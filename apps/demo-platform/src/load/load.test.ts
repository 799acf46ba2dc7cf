import { parseDuration, parseLoadArgs } from './args';
import type { CallResult } from './client';
import { CROSS_TENANT, ISOLATION_BREACH, JobBook, planCall, seededRandom, type MixContext } from './mix';
import { formatReport, progressBar, progressLine } from './report';
import type { LoadReport } from './run';
import { dueAtMs, dueBy, plannedRequests, runOpenLoop } from './schedule';
import { formatTable, LoadStats, percentile } from './stats';

const KEYS = { acme: 'key-a', globex: 'key-g' };

describe('parseLoadArgs', () => {
  it('defaults to PORT (or 4000), 30 s, 20 req/s and the two demo tenants', () => {
    expect(parseLoadArgs([], {}, KEYS)).toEqual({
      url: 'http://127.0.0.1:4000',
      durationMs: 30_000,
      rps: 20,
      tenants: [
        { tenant: 'acme', key: 'key-a' },
        { tenant: 'globex', key: 'key-g' },
      ],
      jobWaitMs: 15_000,
      timeoutMs: 10_000,
      json: false,
      seed: 1,
    });
    expect(parseLoadArgs([], { PORT: '4100' }, KEYS)?.url).toBe('http://127.0.0.1:4100');
  });

  it('takes the options after the `--` that pnpm and npm pass along', () => {
    expect(parseLoadArgs(['--', '--rps', '5', '--duration', '2s'], {}, KEYS)).toMatchObject({
      rps: 5,
      durationMs: 2000,
    });
  });

  it('reads every flag', () => {
    const options = parseLoadArgs(
      [
        '--url=http://127.0.0.1:5000/',
        '--duration',
        '1m30s',
        '--rps',
        '50',
        '--tenants',
        '1',
        '--key',
        'initech=k1',
        '--key',
        'hooli=k=2',
        '--job-wait',
        '0s',
        '--timeout',
        '2500ms',
        '--seed',
        '7',
        '--json',
      ],
      {},
      KEYS,
    );
    expect(options).toEqual({
      url: 'http://127.0.0.1:5000',
      durationMs: 90_000,
      rps: 50,
      tenants: [{ tenant: 'initech', key: 'k1' }],
      jobWaitMs: 0,
      timeoutMs: 2500,
      json: true,
      seed: 7,
    });
    expect(parseLoadArgs(['--key', 'hooli=k=2'], {}, KEYS)?.tenants).toEqual([
      { tenant: 'hooli', key: 'k=2' },
    ]);
    expect(parseLoadArgs(['--help'], {}, KEYS)).toBeUndefined();
  });

  it.each([
    [
      ['--duration', 'abc'],
      '--duration: "abc" is not a duration; use a number with a unit, e.g. 30s, 2m, 1m30s, 500ms',
    ],
    [['--duration', '0s'], '--duration: must be more than 0'],
    [['--duration', '10x'], '--duration: "10x" is not a duration'],
    [['--rps', 'fast'], '--rps: "fast" is not a rate above 0'],
    [['--rps', '0'], '--rps: "0" is not a rate above 0'],
    [['--tenants', '1.5'], '--tenants: "1.5" is not a whole number of tenants'],
    [
      ['--tenants', '3'],
      '--tenants: 3 tenants asked for but only 2 key(s) known (acme, globex); add more with --key',
    ],
    [['--key', 'acme'], '--key: "acme" is not <tenant>=<key>'],
    [['--key', 'a=1', '--key', 'a=2'], '--key: tenant "a" is given twice'],
    [['--url', 'localhost:4000'], '--url: "localhost:4000" must be http:// or https://'],
    [['--url', 'nope'], '--url: "nope" is not a URL'],
    [['--timeout', '0'], '--timeout: must be more than 0'],
    [['--seed', '1.5'], '--seed: "1.5" is not an integer'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], 'extra'],
  ])('rejects %j with a message naming the flag', (argv, message) => {
    expect(() => parseLoadArgs(argv, {}, KEYS)).toThrow(message);
  });

  it('parses durations with units, combined units, and bare seconds', () => {
    expect(parseDuration('500ms', '--x')).toBe(500);
    expect(parseDuration('1.5s', '--x')).toBe(1500);
    expect(parseDuration('2m', '--x')).toBe(120_000);
    expect(parseDuration('1h2m3s', '--x')).toBe(3_723_000);
    expect(parseDuration('45', '--x')).toBe(45_000);
    expect(() => parseDuration('s', '--x')).toThrow('--x: "s" is not a duration');
    expect(() => parseDuration('-5s', '--x')).toThrow('is not a duration');
  });
});

/** A clock that only moves when the loop waits (plus `extraPerWait` to play a busy event loop). */
function virtualClock(extraPerWait = 0) {
  let t = 1000;
  return {
    now: () => t,
    wait: (ms: number) => {
      t += ms + extraPerWait;
      return Promise.resolve();
    },
  };
}

describe('open-loop scheduling', () => {
  it('plans rps × duration requests, request i due at i / rps', () => {
    expect(plannedRequests(20, 30_000)).toBe(600);
    expect(plannedRequests(0.5, 10_000)).toBe(5);
    expect(dueAtMs(3, 50)).toBe(60);
    expect(dueBy(0, 50, 10)).toBe(1);
    expect(dueBy(59.9, 50, 10)).toBe(3);
    expect(dueBy(60, 50, 10)).toBe(4);
    expect(dueBy(1e9, 50, 10)).toBe(10);
  });

  it('sends each request at its due time without waiting for responses', async () => {
    const clock = virtualClock();
    const sentAt: number[] = [];
    const result = await runOpenLoop({
      rps: 10,
      durationMs: 5000,
      // A response that never comes back does not hold the next request.
      send: () => void sentAt.push(clock.now() - 1000),
      ...clock,
    });
    expect(result.sent).toBe(50);
    expect(sentAt).toEqual(Array.from({ length: 50 }, (_, i) => i * 100));
    expect(result.maxLagMs).toBe(0);
  });

  it('catches up in a burst when the event loop was late, and reports the lag', async () => {
    const clock = virtualClock(250);
    const lags: number[] = [];
    const sentAt: number[] = [];
    const result = await runOpenLoop({
      rps: 20,
      durationMs: 2000,
      send: (_i, lag) => {
        lags.push(lag);
        sentAt.push(clock.now() - 1000);
      },
      ...clock,
    });
    expect(result.sent).toBe(40);
    // Every wait overshoots by 250 ms: 50 ms apart, so 6 requests go out per wake-up.
    expect(new Set(sentAt).size).toBeLessThan(10);
    expect(result.maxLagMs).toBe(250);
    expect(Math.max(...lags)).toBe(250);
  });

  it('stops early when asked', async () => {
    const clock = virtualClock();
    let n = 0;
    const result = await runOpenLoop({
      rps: 10,
      durationMs: 10_000,
      send: () => n++,
      stopped: () => n >= 7,
      ...clock,
    });
    expect(result.sent).toBe(7);
  });
});

describe('percentiles and the summary', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow('p must be 0..100');
  });

  it('summarises per operation, failed requests included, plus an overall row', () => {
    const stats = new LoadStats();
    for (let i = 1; i <= 20; i++) stats.record('devices', i);
    stats.record('runPlugin echo', 100, 'TIMEOUT');
    stats.record('runPlugin echo', 5);
    stats.record('runPlugin echo', 7, 'HTTP 500');
    stats.record('runPlugin echo', 9, 'TIMEOUT');
    expect(stats.requests).toBe(24);
    expect(stats.errors).toBe(3);
    const [devices, echo, all] = stats.summary();
    expect(devices).toMatchObject({
      operation: 'devices',
      requests: 20,
      errors: 0,
      p50Ms: 10,
      p95Ms: 19,
      p99Ms: 20,
    });
    expect(echo).toMatchObject({
      operation: 'runPlugin echo',
      requests: 4,
      errors: 3,
      p50Ms: 7,
      p99Ms: 100,
      errorReasons: [
        { reason: 'TIMEOUT', count: 2 },
        { reason: 'HTTP 500', count: 1 },
      ],
    });
    expect(all).toMatchObject({ operation: 'all', requests: 24, errors: 3, p99Ms: 100 });
    // 1..20 with 5, 7, 9 and 100: the 12th of 24 sorted values.
    expect(stats.overallPercentile(50)).toBe(9);
  });

  it('aligns tables: names left, numbers right', () => {
    expect(
      formatTable(
        ['operation', 'requests'],
        [
          ['devices', '5'],
          ['runPlugin slow-report', '1234'],
        ],
      ),
    ).toBe(
      [
        'operation              requests',
        '---------------------  --------',
        'devices                       5',
        'runPlugin slow-report      1234',
      ].join('\n'),
    );
  });

  it('renders the report and the progress', () => {
    const stats = new LoadStats();
    stats.record('devices', 3);
    stats.record(CROSS_TENANT, 4, ISOLATION_BREACH);
    const report: LoadReport = {
      url: 'http://127.0.0.1:4000',
      tenants: ['acme', 'globex'],
      simulate: true,
      plugins: ['echo'],
      targetRps: 20,
      durationMs: 10_000,
      stoppedEarly: false,
      sent: 2,
      achievedRps: 0.2,
      maxLagMs: 1.5,
      operations: stats.summary(),
      jobs: {
        started: 3,
        completed: 2,
        failed: 1,
        unfinished: 0,
        missing: 0,
        waitedMs: 1200,
        byPlugin: { echo: { started: 3, completed: 2, failed: 1, unfinished: 0, missing: 0 } },
      },
      isolationViolations: 1,
      slos: [
        {
          id: 'availability',
          description: 'd',
          objective: 0.995,
          sli: 0.9991,
          errorBudgetRemaining: 0.82,
          status: 'OK',
        },
        {
          id: 'usb-event-latency',
          description: 'd',
          objective: 0.95,
          sli: null,
          errorBudgetRemaining: null,
          status: 'NO_DATA',
        },
      ],
      sloError: undefined,
    };
    const text = formatReport(report);
    expect(text).toContain('Jobs: 3 started, 2 completed, 1 failed, 0 unfinished');
    expect(text).toMatch(/availability\s+99\.50%\s+99\.910%\s+82\.0%\s+OK/);
    expect(text).toMatch(/usb-event-latency\s+95\.00%\s+-\s+-\s+NO_DATA/);
    expect(text).toContain(`${CROSS_TENANT}: ${ISOLATION_BREACH} ×1`);
    expect(text).toContain('TENANT ISOLATION BROKEN: 1 cross-tenant job lookup(s)');
    const progress = {
      done: false,
      elapsedMs: 5000,
      durationMs: 10_000,
      sent: 100,
      completed: 98,
      errors: 2,
      inFlight: 2,
      p95Ms: 12.34,
    };
    expect(progressBar(progress, 10)).toBe(
      '[#####.....]  50% 5s/10s  sent 100  errors 2  in flight 2  p95 12.3 ms',
    );
    expect(progressBar({ ...progress, elapsedMs: 9990, done: true }, 10)).toMatch(
      /^\[##########\] 100% 10s\/10s/,
    );
    expect(progressLine(progress)).toBe('load: 5s/10s sent=100 done=98 errors=2 in_flight=2 p95_ms=12.3');
  });
});

describe('the operation mix', () => {
  const result = (over: Partial<CallResult>): CallResult => ({
    latencyMs: 1,
    status: 200,
    data: null,
    errors: [],
    failure: undefined,
    networkCode: undefined,
    ...over,
  });
  const context = (over: Partial<MixContext> = {}): MixContext => ({
    tenant: { tenant: 'acme', key: 'a' },
    other: { tenant: 'globex', key: 'g' },
    plugins: ['echo', 'slow-report', 'flaky-fetch'],
    simulate: true,
    jobs: new JobBook(),
    random: seededRandom(42),
    index: 0,
    usbEvents: { count: 0 },
    ...over,
  });

  it('starts with no job lookups, then sends every operation in proportion to its weight', () => {
    const ctx = context();
    const first = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const op = planCall({ ...ctx, index: i }).operation;
      first.set(op, (first.get(op) ?? 0) + 1);
    }
    expect([...first.keys()].sort()).toEqual(
      [
        'devices',
        'plugins',
        'runPlugin echo',
        'runPlugin flaky-fetch',
        'runPlugin slow-report',
        'simulateUsbEvent',
      ].sort(),
    );
    ctx.jobs.add({ id: 'j1', tenant: 'acme', plugin: 'echo', state: 'waiting' });
    ctx.jobs.add({ id: 'j2', tenant: 'globex', plugin: 'echo', state: 'waiting' });
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const op = planCall({ ...ctx, index: i }).operation;
      counts.set(op, (counts.get(op) ?? 0) + 1);
    }
    // Weights: devices 15, plugins 10, job 20, cross-tenant 5, three plugins 10 each, USB 10 (of 90).
    const share = (op: string) => (counts.get(op) ?? 0) / n;
    expect(share('job')).toBeCloseTo(20 / 90, 1);
    expect(share('devices')).toBeCloseTo(15 / 90, 1);
    expect(share(CROSS_TENANT)).toBeCloseTo(5 / 90, 1);
    expect(share('runPlugin slow-report')).toBeCloseTo(10 / 90, 1);
    expect(counts.size).toBe(8);
  });

  it('leaves out USB events outside simulate mode and plugins the demo does not have', () => {
    const ctx = context({ simulate: false, plugins: ['echo'] });
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(planCall({ ...ctx, index: i }).operation);
    expect([...seen].sort()).toEqual(['devices', 'plugins', 'runPlugin echo']);
  });

  it('counts a cross-tenant lookup as good only when the demo says NOT_FOUND', () => {
    const jobs = new JobBook();
    jobs.add({ id: 'g1', tenant: 'globex', plugin: 'echo', state: 'completed' });
    jobs.add({ id: 'a1', tenant: 'acme', plugin: 'echo', state: 'completed' });
    const ctx = context({ jobs });
    let call;
    do call = planCall(ctx);
    while (call.operation !== CROSS_TENANT);
    expect(call.variables).toEqual({ id: 'g1' });
    const notFound = { message: 'job g1 not found', extensions: { code: 'NOT_FOUND' } };
    expect(call.judge(result({ errors: [notFound], failure: 'NOT_FOUND' }))).toBeUndefined();
    expect(call.judge(result({ data: { job: { id: 'g1', state: 'completed' } } }))).toBe(ISOLATION_BREACH);
    expect(
      call.judge(
        result({ errors: [{ message: 'x', extensions: { code: 'FORBIDDEN' } }], failure: 'FORBIDDEN' }),
      ),
    ).toBe('FORBIDDEN');
    expect(call.judge(result({ status: 0, failure: 'ECONNRESET', networkCode: 'ECONNRESET' }))).toBe(
      'ECONNRESET',
    );
  });

  it('books the jobs runPlugin started and updates them from lookups', () => {
    const jobs = new JobBook();
    const ctx = context({ jobs });
    let call;
    do call = planCall(ctx);
    while (call.operation !== 'runPlugin flaky-fetch');
    expect(
      call.judge(result({ data: { runPlugin: { id: '17', plugin: 'flaky-fetch', state: 'waiting' } } })),
    ).toBeUndefined();
    expect([...jobs.jobs.values()]).toEqual([
      { id: '17', tenant: 'acme', plugin: 'flaky-fetch', state: 'waiting' },
    ]);
    do call = planCall(ctx);
    while (call.operation !== 'job');
    call.judge(result({ data: { job: { id: '17', state: 'failed' } } }));
    expect(jobs.jobs.get('17')?.state).toBe('failed');
    expect(jobs.unfinished()).toEqual([]);
  });

  it('attaches then detaches each simulated device in turn', () => {
    const ctx = context({ plugins: [] });
    const events: unknown[] = [];
    for (let i = 0; events.length < 6; i++) {
      const call = planCall({ ...ctx, index: i });
      if (call.operation === 'simulateUsbEvent') events.push(call.variables);
    }
    expect(events).toEqual([
      { action: 'ATTACH', vendorId: 0x1209, productId: 1 },
      { action: 'ATTACH', vendorId: 0x1209, productId: 2 },
      { action: 'ATTACH', vendorId: 0x16c0, productId: 0x05dc },
      { action: 'DETACH', vendorId: 0x1209, productId: 1 },
      { action: 'DETACH', vendorId: 0x1209, productId: 2 },
      { action: 'DETACH', vendorId: 0x16c0, productId: 0x05dc },
    ]);
  });
});
