// Runners for the real Prometheus and promtool binaries, so tests assert on what Prometheus itself
// accepts, scrapes and answers over its HTTP API. Loopback only; every instance gets a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const INSTALL_HINT =
  'Install it with `apt-get install -y prometheus` (Debian/Ubuntu), or point the env variable at the binary.';

/** Result of `promtool check metrics`: `ok` is true when promtool exited 0 (no problems found). */
export interface PromtoolResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ScrapeTarget {
  /** `host:port`; must be a loopback address (127.0.0.1, ::1 or localhost). */
  readonly address: string;
  /** Default `/metrics`. */
  readonly metricsPath?: string;
  /** Default `test`. */
  readonly job?: string;
}

export interface StartPrometheusOptions {
  readonly targets: readonly ScrapeTarget[];
  /** Prometheus duration, default `1s`. */
  readonly scrapeInterval?: string;
  /** Pass `--enable-feature=exemplar-storage`. Default false. */
  readonly exemplarStorage?: boolean;
  /** How long to wait for `/-/ready`, default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** One sample of an instant-vector query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PromExemplar {
  readonly seriesLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Instant query via `/api/v1/query`; vector results only (scalars become one sample). */
  query(promql: string): Promise<PromSample[]>;
  /** Exemplars for `promql` over the last `rangeSeconds` (default 300) via `/api/v1/query_exemplars`. */
  queryExemplars(promql: string, rangeSeconds?: number): Promise<PromExemplar[]>;
  /** Polls `query(promql)` until `predicate` holds; rejects with the last result after `timeoutMs` (default 30 s). */
  waitFor(
    promql: string,
    predicate: (samples: PromSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PromSample[]>;
  /** Kills Prometheus and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a binary from `envVar` or PATH; throws an error that says how to install it. */
export function findBinary(name: 'prometheus' | 'promtool', envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`${envVar}=${fromEnv} is not an executable file. ${INSTALL_HINT}`);
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(`\`${name}\` was not found on PATH and ${envVar} is not set. ${INSTALL_HINT}`);
}

/** Runs `promtool check metrics` with `exposition` on stdin (Prometheus text format). */
export function checkMetrics(exposition: string): Promise<PromtoolResult> {
  const bin = findBinary('promtool', 'PROMTOOL_BIN');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ok: code === 0, exitCode: code, stdout, stderr }));
    child.stdin.end(exposition);
  });
}

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/;

function assertLoopback(address: string): void {
  const host = address.replace(/:\d+$/, '');
  if (!LOOPBACK_HOST.test(host)) {
    throw new Error(`scrape target ${address} is not a loopback address; tests only scrape loopback`);
  }
}

function renderConfig(options: StartPrometheusOptions): string {
  const interval = options.scrapeInterval ?? '1s';
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of options.targets) {
    assertLoopback(t.address);
    const key = `${t.job ?? 'test'}\u0000${t.metricsPath ?? '/metrics'}`;
    jobs.set(key, [...(jobs.get(key) ?? []), t]);
  }
  const lines = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    'scrape_configs:',
  ];
  for (const [key, targets] of jobs) {
    const [job, path] = key.split('\u0000');
    lines.push(
      `  - job_name: ${JSON.stringify(job)}`,
      `    metrics_path: ${JSON.stringify(path)}`,
      '    static_configs:',
      `      - targets: [${targets.map((t) => JSON.stringify(t.address)).join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ApiResponse {
  status: string;
  error?: string;
  data?: unknown;
}

async function getJson(url: string): Promise<ApiResponse> {
  const res = await fetch(url);
  const body = (await res.json()) as ApiResponse;
  if (body.status !== 'success') {
    throw new Error(`Prometheus API ${url} failed: ${body.error ?? res.status}`);
  }
  return body;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts a real Prometheus on a free loopback port, scraping `targets`; resolves once `/-/ready`. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const bin = findBinary('prometheus', 'PROMETHEUS_BIN');
  const dir = await mkdtemp(join(tmpdir(), 'autoweave-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, renderConfig(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  if (options.exemplarStorage === true) args.push('--enable-feature=exemplar-storage');
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-8000);
  });
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGTERM');
    await waitForExit(child, 10_000);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null) {
      await stop();
      throw new Error(`Prometheus exited before ready: ${spawnError?.message ?? ''}\n${stderr}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus did not become ready at ${url}\n${stderr}`);
    }
    await sleep(100);
  }

  const query = async (promql: string): Promise<PromSample[]> => {
    const body = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const data = body.data as { resultType: string; result: unknown };
    if (data.resultType === 'scalar') {
      const [, v] = data.result as [number, string];
      return [{ metric: {}, value: Number(v) }];
    }
    const result = data.result as { metric: Record<string, string>; value: [number, string] }[];
    return result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  const queryExemplars = async (promql: string, rangeSeconds = 300): Promise<PromExemplar[]> => {
    const end = Date.now() / 1000;
    const start = end - rangeSeconds;
    const body = await getJson(
      `${url}/api/v1/query_exemplars?query=${encodeURIComponent(promql)}&start=${start}&end=${end + 60}`,
    );
    const data = body.data as {
      seriesLabels: Record<string, string>;
      exemplars: { labels: Record<string, string>; value: string }[];
    }[];
    return data.flatMap((s) =>
      s.exemplars.map((e) => ({ seriesLabels: s.seriesLabels, labels: e.labels, value: Number(e.value) })),
    );
  };

  const waitFor = async (
    promql: string,
    predicate: (samples: PromSample[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<PromSample[]> => {
    const until = Date.now() + timeoutMs;
    let last: PromSample[] = [];
    let lastError: unknown;
    for (;;) {
      try {
        last = await query(promql);
        if (predicate(last)) return last;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > until) {
        const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out waiting for ${promql}; last result ${JSON.stringify(last)}${why}`);
      }
      await sleep(250);
    }
  };

  return { url, query, queryExemplars, waitFor, stop };
}
