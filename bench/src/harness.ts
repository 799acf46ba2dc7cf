// Runs paired benchmarks (instrumented vs. uninstrumented baseline in the same run) with tinybench
// and renders them as a Markdown table with the per-operation cost added and the ratio.
import { cpus, totalmem, platform, release } from 'node:os';
import { Bench } from 'tinybench';

/** Operations per tinybench sample, so sub-microsecond costs rise well above timer resolution. */
export const OPS_PER_SAMPLE = 200;

export interface Pair {
  readonly name: string;
  /** The budget the issue sets for the added cost, in µs per operation; none for reference rows. */
  readonly budgetUs?: number;
  /** With `async: true` each call's promise is awaited before the next (for async operations such as a plugin execute). */
  readonly async?: boolean;
  readonly baseline: () => unknown;
  readonly instrumented: () => unknown;
  readonly setup?: () => void | Promise<void>;
  readonly teardown?: () => void | Promise<void>;
  /** Runs the whole measurement inside some context (an active span, a tenant). */
  readonly around?: <T>(run: () => Promise<T>) => Promise<T>;
}

export interface PairResult {
  readonly name: string;
  readonly budgetUs: number | undefined;
  readonly baselineUs: number;
  readonly instrumentedUs: number;
  readonly addedUs: number;
  readonly ratio: number;
  readonly samples: number;
  readonly withinBudget: boolean;
}

const loop = (fn: () => unknown) => () => {
  for (let i = 0; i < OPS_PER_SAMPLE; i++) void fn();
};

const asyncLoop = (fn: () => unknown) => async () => {
  for (let i = 0; i < OPS_PER_SAMPLE; i++) await fn();
};

/** The median of `values` (the mean of the middle two for an even count). */
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function medianUsPerOp(task: { result: unknown }): { us: number; samples: number } {
  const result = task.result as {
    state: string;
    latency?: { p50: number; samplesCount: number };
    error?: Error;
  };
  if (result.state !== 'completed' || result.latency === undefined) {
    throw new Error(`benchmark did not complete: ${result.state} ${result.error?.message ?? ''}`);
  }
  return { us: (result.latency.p50 * 1000) / OPS_PER_SAMPLE, samples: result.latency.samplesCount };
}

/** Runs baseline and instrumented alternately in one Bench (same process, same warm-up) and compares medians. */
export async function runPair(pair: Pair, timeMs = 1500): Promise<PairResult> {
  await pair.setup?.();
  try {
    const bench = new Bench({ time: timeMs, warmupTime: 300 });
    const wrap = pair.async === true ? asyncLoop : loop;
    bench.add(`${pair.name} (baseline)`, wrap(pair.baseline));
    bench.add(`${pair.name} (instrumented)`, wrap(pair.instrumented));
    await (pair.around ?? ((run) => run()))(() => bench.run());
    const [base, inst] = bench.tasks;
    if (base === undefined || inst === undefined) throw new Error('tinybench lost a task');
    const b = medianUsPerOp(base);
    const i = medianUsPerOp(inst);
    const addedUs = i.us - b.us;
    return {
      name: pair.name,
      budgetUs: pair.budgetUs,
      baselineUs: b.us,
      instrumentedUs: i.us,
      addedUs,
      ratio: i.us / b.us,
      samples: Math.min(b.samples, i.samples),
      withinBudget: pair.budgetUs === undefined || addedUs <= pair.budgetUs,
    };
  } finally {
    await pair.teardown?.();
  }
}

export function machine(): string {
  const cpu = cpus();
  return [
    `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} cores`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `${platform()} ${release()}`,
    `Node.js ${process.version}`,
  ].join(', ');
}

const fmt = (n: number) => (Math.abs(n) < 10 ? n.toFixed(3) : n.toFixed(1));

export function pairTable(results: readonly PairResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${fmt(r.baselineUs)} | ${fmt(r.instrumentedUs)} | ${fmt(r.addedUs)} | ${r.ratio.toFixed(1)}× | ${r.budgetUs === undefined ? '–' : `≤ ${r.budgetUs}`} | ${r.budgetUs === undefined ? '–' : r.withinBudget ? 'yes' : '**no**'} |`,
  );
  return [
    '| operation | baseline µs/op | instrumented µs/op | added µs/op | ratio | budget µs | within |',
    '| --- | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...rows,
  ].join('\n');
}
