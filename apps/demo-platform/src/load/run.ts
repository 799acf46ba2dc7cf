// One load run against a running demo: preflight (reachable? keys accepted? simulate mode?), the
// open-loop phase, a bounded wait for the jobs it started, then the SLO status; returns the report.
import type { LoadOptions, TenantKey } from './args';
import { errorCode, GraphQLClient, type CallResult } from './client';
import {
  CROSS_TENANT,
  JOB_NOT_FOUND,
  ISOLATION_BREACH,
  JobBook,
  QUERIES,
  planCall,
  seededRandom,
  type MixContext,
} from './mix';
import { runOpenLoop } from './schedule';
import { LoadStats, type OperationSummary } from './stats';

/** The demo did not answer, or refused the keys: nothing was sent. */
export class LoadPreflightError extends Error {
  override name = 'LoadPreflightError';
}

export interface LoadProgress {
  elapsedMs: number;
  durationMs: number;
  sent: number;
  completed: number;
  errors: number;
  inFlight: number;
  p95Ms: number;
  /** True on the last call, once every request of the sending phase has been answered. */
  done: boolean;
}

export interface JobCounts {
  started: number;
  completed: number;
  failed: number;
  /** Still waiting or active when the wait ended. */
  unfinished: number;
  /** The demo answered NOT_FOUND for its own job (removed, or Redis lost it). */
  missing: number;
}

export interface SloRow {
  id: string;
  description: string;
  objective: number;
  sli: number | null;
  errorBudgetRemaining: number | null;
  status: string;
}

export interface LoadReport {
  url: string;
  tenants: string[];
  /** Whether simulateUsbEvent was part of the mix (the demo runs with AUTOWEAVE_USB=simulate). */
  simulate: boolean;
  plugins: string[];
  targetRps: number;
  durationMs: number;
  /** True when `signal` ended the run before `durationMs`. */
  stoppedEarly: boolean;
  sent: number;
  /** Requests started per second over the sending phase. */
  achievedRps: number;
  /** Worst delay of a send behind its due time: large values mean the generator could not keep up. */
  maxLagMs: number;
  operations: OperationSummary[];
  jobs: JobCounts & { byPlugin: Record<string, JobCounts>; waitedMs: number };
  /** Cross-tenant lookups that returned the other tenant's job. Must be 0. */
  isolationViolations: number;
  slos: SloRow[];
  /** Why `slos` is empty, when the query failed. */
  sloError: string | undefined;
}

export interface LoadHooks {
  /** Called about once a second while sending. */
  onProgress?: (progress: LoadProgress) => void;
  /** Called when the sending phase ends and the job wait begins. */
  onPhase?: (phase: 'waiting-for-jobs' | 'slo-status') => void;
  /** Aborting stops sending (requests in flight still complete) and skips the job wait. */
  signal?: AbortSignal;
}

const HOW_TO_START =
  'Start it first: `pnpm demo` from the repository root (or `node apps/demo-platform/dist/main.js` after a build, with AUTOWEAVE_USB=simulate to include USB events), or point --url at a running one.';

interface Health {
  simulate: boolean;
}

async function checkHealth(url: string, timeoutMs: number): Promise<Health> {
  let response: Response;
  try {
    response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(Math.min(timeoutMs, 5000)) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new LoadPreflightError(`Cannot reach the demo at ${url} (${cause}). ${HOW_TO_START}`);
  }
  const text = await response.text();
  if (response.status !== 200) {
    throw new LoadPreflightError(
      `The demo at ${url} answered GET /healthz with HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  let body: { usb?: { simulated?: unknown } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // A /healthz that is not the demo's JSON: no simulate mode assumed; the GraphQL check decides the rest.
  }
  return { simulate: body.usb?.simulated === true };
}

async function checkTenant(client: GraphQLClient, tenant: TenantKey): Promise<string[]> {
  const result = await client.call<{ plugins?: { name: string; loaded?: boolean }[] }>(
    tenant.key,
    QUERIES.plugins,
  );
  if (result.networkCode !== undefined) {
    throw new LoadPreflightError(`Cannot reach the demo's /graphql (${result.networkCode}). ${HOW_TO_START}`);
  }
  if (result.failure !== undefined || !Array.isArray(result.data?.plugins)) {
    const message = result.errors[0]?.message ?? `HTTP ${result.status}`;
    throw new LoadPreflightError(
      `Tenant "${tenant.tenant}": the demo refused the plugins query (${result.failure ?? 'no data'}: ${message}). ` +
        `Check its key (--key ${tenant.tenant}=<key>) and that --url points at the demo.`,
    );
  }
  return result.data.plugins.filter((p) => p.loaded !== false).map((p) => p.name);
}

const emptyCounts = (): JobCounts => ({ started: 0, completed: 0, failed: 0, unfinished: 0, missing: 0 });

/** Polls the unfinished jobs (a few at a time) until all are done or `waitMs` has passed. */
async function waitForJobs(
  client: GraphQLClient,
  keys: Map<string, string>,
  book: JobBook,
  waitMs: number,
): Promise<number> {
  const started = performance.now();
  const deadline = started + waitMs;
  for (;;) {
    const pending = book.unfinished();
    if (pending.length === 0 || performance.now() >= deadline) break;
    for (let i = 0; i < pending.length && performance.now() < deadline; i += 8) {
      await Promise.all(
        pending.slice(i, i + 8).map(async (job) => {
          const result = await client.call<{ job?: { state?: string } }>(
            keys.get(job.tenant) ?? '',
            QUERIES.job,
            {
              id: job.id,
            },
          );
          const state = result.data?.job?.state;
          if (typeof state === 'string') book.update(job.id, state);
          else if (errorCode(result.errors) === 'NOT_FOUND') book.update(job.id, JOB_NOT_FOUND);
        }),
      );
    }
    if (book.unfinished().length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return performance.now() - started;
}

function countJobs(book: JobBook): LoadReport['jobs'] {
  const total = emptyCounts();
  const byPlugin: Record<string, JobCounts> = {};
  for (const job of book.jobs.values()) {
    const counts = (byPlugin[job.plugin] ??= emptyCounts());
    for (const c of [total, counts]) {
      c.started++;
      if (job.state === 'completed') c.completed++;
      else if (job.state === 'failed') c.failed++;
      else if (job.state === JOB_NOT_FOUND) c.missing++;
      else c.unfinished++;
    }
  }
  return { ...total, byPlugin, waitedMs: 0 };
}

/** Runs the load described by `options`; rejects with LoadPreflightError when the demo is not usable. */
export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadReport> {
  const health = await checkHealth(options.url, options.timeoutMs);
  const client = new GraphQLClient({ url: options.url, timeoutMs: options.timeoutMs });
  try {
    let plugins: string[] = [];
    for (const tenant of options.tenants) plugins = await checkTenant(client, tenant);

    const stats = new LoadStats();
    const book = new JobBook();
    const random = seededRandom(options.seed);
    const usbEvents = { count: 0 };
    let simulate = health.simulate;
    let inFlight = 0;
    let completed = 0;
    let violations = 0;
    const pending = new Set<Promise<void>>();

    const send = (index: number): void => {
      const tenant = options.tenants[index % options.tenants.length] as TenantKey;
      const other =
        options.tenants.length > 1 ? options.tenants[(index + 1) % options.tenants.length] : undefined;
      const ctx: MixContext = { tenant, other, plugins, simulate, jobs: book, random, index, usbEvents };
      const call = planCall(ctx);
      inFlight++;
      const p = client.call(tenant.key, call.query, call.variables).then((result: CallResult) => {
        inFlight--;
        completed++;
        // The demo said it is not in simulate mode after all: stop sending those, do not count them.
        if (
          call.operation === 'simulateUsbEvent' &&
          result.errors[0]?.extensions?.code === 'USB_SIMULATION_DISABLED'
        ) {
          simulate = false;
          return;
        }
        const failure = call.judge(result);
        if (call.operation === CROSS_TENANT && failure === ISOLATION_BREACH) violations++;
        stats.record(call.operation, result.latencyMs, failure);
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };

    const loopStart = performance.now();
    const progress = (done: boolean): void =>
      hooks.onProgress?.({
        done,
        elapsedMs: done
          ? performance.now() - loopStart
          : Math.min(options.durationMs, performance.now() - loopStart),
        durationMs: options.durationMs,
        sent: completed + inFlight,
        completed,
        errors: stats.errors,
        inFlight,
        p95Ms: stats.overallPercentile(95),
      });
    const ticker = setInterval(() => progress(false), 1000);
    let loop;
    try {
      loop = await runOpenLoop({
        rps: options.rps,
        durationMs: options.durationMs,
        send,
        stopped: () => hooks.signal?.aborted === true,
      });
      // Every request has a deadline, so this ends within timeoutMs.
      while (pending.size > 0) await Promise.all([...pending]);
    } finally {
      clearInterval(ticker);
    }
    progress(true);

    const stoppedEarly = hooks.signal?.aborted === true;
    let waitedMs = 0;
    if (!stoppedEarly) {
      hooks.onPhase?.('waiting-for-jobs');
      const keys = new Map(options.tenants.map((t) => [t.tenant, t.key]));
      waitedMs = await waitForJobs(client, keys, book, options.jobWaitMs);
    }

    hooks.onPhase?.('slo-status');
    const slo = await client.call<{ sloStatus?: SloRow[] }>(options.tenants[0]?.key ?? '', QUERIES.sloStatus);
    const slos = Array.isArray(slo.data?.sloStatus) ? slo.data.sloStatus : [];

    return {
      url: options.url,
      tenants: options.tenants.map((t) => t.tenant),
      simulate,
      plugins,
      targetRps: options.rps,
      durationMs: options.durationMs,
      stoppedEarly,
      sent: loop.sent,
      achievedRps: loop.elapsedMs > 0 ? (loop.sent * 1000) / Math.max(loop.elapsedMs, options.durationMs) : 0,
      maxLagMs: loop.maxLagMs,
      operations: stats.summary(),
      jobs: { ...countJobs(book), waitedMs },
      isolationViolations: violations,
      slos,
      sloError:
        slo.failure === undefined
          ? undefined
          : `${slo.failure}: ${slo.errors[0]?.message ?? `HTTP ${slo.status}`}`,
    };
  } finally {
    client.close();
  }
}
