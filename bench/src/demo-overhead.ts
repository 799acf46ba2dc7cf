// The demo platform under `demo:load` at a fixed rate with full observability (10% sampling, spans
// exported over OTLP/gRPC, logs pushed to Loki, metrics, SLOs) against the same demo with every
// observability switch off: CPU time the demo process spends per request, and p95 latency.
//
// Both demos run at once (own queue prefixes, one Redis) and take the load in turn, the order
// reversed every other round so drift (other work on the machine, Redis growing) cancels out. CPU is
// the demo process's own utime + stime from /proc/<pid>/stat (children excluded), read before and
// after each round, so it does not depend on how the cores were shared; the load generator, the OTLP
// peer and the Loki peer run in other processes. Each round includes a short wait for the jobs the
// round started, so the worker's share (plugin runs) is counted too.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, getRedis, startLokiPeer } from '@autoweave/test-utils';
import { startPeerProcess } from './peer.js';
import { median } from './harness.js';

const DEMO_DIST = new URL('../../apps/demo-platform/dist/', import.meta.url);
const LOAD_CLI = fileURLToPath(new URL('load/cli.js', DEMO_DIST));
const run = promisify(execFile);

const DEMO_MAIN = fileURLToPath(new URL('main.js', DEMO_DIST));

interface DemoProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the built demo on a free loopback port and waits for /healthz. Its stdout (the JSON logs)
 * goes to /dev/null, as a deployment's would go to a log shipper; stderr is kept for the error message.
 */
async function startDemo(env: Record<string, string>): Promise<DemoProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [DEMO_MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the demo (${JSON.stringify(env)}) did not come up: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (child.pid === undefined) throw new Error('the demo has no pid');
  return { url, pid: child.pid, stop };
}

/** The slice of the load generator's JSON report read here (apps/demo-platform/src/load/run.ts). */
interface LoadReport {
  sent: number;
  operations: { operation: string; requests: number; errors: number; p95Ms: number }[];
  jobs: { started: number; completed: number; failed: number; unfinished: number };
}

export type DemoMode = 'on' | 'off';

export interface DemoOverheadOptions {
  /** Measured rounds; each loads both demos once. Default 3. */
  readonly rounds?: number;
  /** Seconds of load per demo per round. Default 15. */
  readonly seconds?: number;
  /** Requests started per second (open loop). Default 50. */
  readonly rps?: number;
  /** OTEL_TRACES_SAMPLER_ARG of the observed demo. Default 0.1. */
  readonly sampleRate?: number;
  /** Seconds of unmeasured load per demo before the first round (JIT, connection pools). Default 3. */
  readonly warmupSeconds?: number;
}

export interface DemoOverheadRow {
  readonly mode: DemoMode;
  readonly round: number;
  /** GraphQL requests the load generator sent in the round (the load phase). */
  readonly requests: number;
  readonly errors: number;
  /** Demo process CPU (user + system) over the round, per request. */
  readonly cpuUsPerRequest: number;
  readonly p95Ms: number;
  readonly jobsCompleted: number;
}

export interface DemoOverheadSummary {
  readonly requests: number;
  /** Medians over the rounds. */
  readonly cpuUsPerRequest: number;
  readonly p95Ms: number;
}

export interface DemoOverheadResult {
  readonly rows: readonly DemoOverheadRow[];
  readonly on: DemoOverheadSummary;
  readonly off: DemoOverheadSummary;
  /** on / off CPU per request: 1.03 means 3% more CPU per request with observability on. */
  readonly cpuRatio: number;
  /** on / off p95 latency. */
  readonly p95Ratio: number;
  readonly rps: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly sampleRate: number;
  /** Log lines the Loki peer received from the observed demo. */
  readonly lokiLines: number;
}

let clockTicks: number | undefined;
/** Kernel clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat times. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    clockTicks = Number.isFinite(out) && out > 0 ? out : 100;
  }
  return clockTicks;
}

/** utime + stime of `pid` in µs (its own threads, not its children). */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`unreadable /proc/${pid}/stat: ${stat}`);
  return ((utime + stime) * 1e6) / ticksPerSecond();
}

async function load(url: string, seconds: number, rps: number, seed: number): Promise<LoadReport> {
  const { stdout } = await run(
    process.execPath,
    [
      LOAD_CLI,
      '--url',
      url,
      '--duration',
      `${seconds}s`,
      '--rps',
      String(rps),
      '--job-wait',
      '5s',
      '--seed',
      String(seed),
      '--json',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as LoadReport;
}

async function measure(
  mode: DemoMode,
  round: number,
  demo: DemoProcess,
  seconds: number,
  rps: number,
): Promise<DemoOverheadRow> {
  const pid = demo.pid;
  const before = processCpuUs(pid);
  const report = await load(demo.url, seconds, rps, round + 1);
  const cpuUs = processCpuUs(pid) - before;
  const all = report.operations.find((o) => o.operation === 'all');
  if (all === undefined || all.requests === 0) throw new Error(`the ${mode} demo served no requests`);
  return {
    mode,
    round,
    requests: all.requests,
    errors: all.errors,
    cpuUsPerRequest: cpuUs / all.requests,
    p95Ms: all.p95Ms,
    jobsCompleted: report.jobs.completed,
  };
}

/** Runs the on/off comparison; needs the demo built (`pnpm turbo run build --filter=@autoweave/demo-platform`). */
export async function demoOverhead(options: DemoOverheadOptions = {}): Promise<DemoOverheadResult> {
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 15;
  const rps = options.rps ?? 50;
  const sampleRate = options.sampleRate ?? 0.1;
  const warmup = options.warmupSeconds ?? 3;
  const redis = await getRedis();
  const otlp = await startPeerProcess();
  const loki = await startLokiPeer();
  const demos: Partial<Record<DemoMode, DemoProcess>> = {};
  try {
    const common = {
      REDIS_URL: redis.url,
      NODE_ENV: 'production',
      AUTOWEAVE_USB: 'simulate',
      // USB events come from the load only, the same number for both demos.
      AUTOWEAVE_USB_SIMULATE_INTERVAL_MS: '0',
    };
    demos.on = await startDemo({
      ...common,
      AUTOWEAVE_OBSERVABILITY: 'on',
      OTEL_TRACES_SAMPLER_ARG: String(sampleRate),
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      LOKI_URL: loki.url,
      AUTOWEAVE_QUEUE_PREFIX: 'bench-on',
    });
    demos.off = await startDemo({
      ...common,
      AUTOWEAVE_OBSERVABILITY: 'off',
      AUTOWEAVE_QUEUE_PREFIX: 'bench-off',
    });
    const both = { on: demos.on, off: demos.off };
    if (warmup > 0) {
      for (const mode of ['on', 'off'] as const) await load(both[mode].url, warmup, rps, 0);
    }
    const rows: DemoOverheadRow[] = [];
    for (let round = 0; round < rounds; round++) {
      const order: DemoMode[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const mode of order) rows.push(await measure(mode, round, both[mode], seconds, rps));
    }
    const summary = (mode: DemoMode): DemoOverheadSummary => {
      const mine = rows.filter((r) => r.mode === mode);
      return {
        requests: mine.reduce((n, r) => n + r.requests, 0),
        cpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)),
        p95Ms: median(mine.map((r) => r.p95Ms)),
      };
    };
    const on = summary('on');
    const off = summary('off');
    return {
      rows,
      on,
      off,
      cpuRatio: on.cpuUsPerRequest / off.cpuUsPerRequest,
      p95Ratio: on.p95Ms / off.p95Ms,
      rps,
      seconds,
      rounds,
      sampleRate,
      lokiLines: loki.entries().length,
    };
  } finally {
    await Promise.all(Object.values(demos).map((d) => d.stop()));
    await Promise.all([otlp.stop(), loki.stop(), redis.stop()]);
  }
}

/** The BENCHMARKS.md table: one row per measurement, then the medians and ratios. */
export function demoOverheadTable(result: DemoOverheadResult): string {
  const lines = [
    '| mode | round | requests | errors | CPU µs/request | p95 ms | jobs completed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.rows.map(
      (r) =>
        `| ${r.mode} | ${r.round + 1} | ${r.requests} | ${r.errors} | ${r.cpuUsPerRequest.toFixed(0)} | ${r.p95Ms.toFixed(1)} | ${r.jobsCompleted} |`,
    ),
    `| **on (median)** | | ${result.on.requests} | | ${result.on.cpuUsPerRequest.toFixed(0)} | ${result.on.p95Ms.toFixed(1)} | |`,
    `| **off (median)** | | ${result.off.requests} | | ${result.off.cpuUsPerRequest.toFixed(0)} | ${result.off.p95Ms.toFixed(1)} | |`,
  ];
  const setup =
    `${result.rps} requests/s (open loop, the demo:load mix) for ${result.seconds} s per demo per round, ` +
    `${result.rounds} rounds in alternating order. on: ${result.sampleRate * 100}% sampling, spans over ` +
    `OTLP/gRPC to a peer process, logs to a Loki peer (${result.lokiLines.toLocaleString('en')} lines), metrics ` +
    `and SLOs; off: \`AUTOWEAVE_OBSERVABILITY=off\`, the same platform with every facade flag off.`;
  return `${setup}\n\n${lines.join('\n')}\n\nCPU per request on/off: **${result.cpuRatio.toFixed(3)}** (goal ≤ 1.03 at ${result.sampleRate * 100}% sampling); p95 on/off: **${result.p95Ratio.toFixed(3)}**.`;
}
