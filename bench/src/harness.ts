// Runs paired benchmarks (instrumented vs. uninstrumented baseline in the same run) with tinybench
// and renders them as a Markdown table with the per-operation cost added and the ratio.
import { cpus, totalmem, platform, release } from 'node:os';
import { Bench } from 'tinybench';

/** Where benchmarked work leaves its result, so the optimiser cannot delete it. */
export let sink: unknown;
/** Keeps `value` (see `sink`). */
export function keep(value: unknown): void {
  sink = value;
}

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
  /**
   * Time each operation on its own (runPerEventPair) rather than in samples of OPS_PER_SAMPLE: for
   * budgets stated as the median operation. Synchronous operations only.
   */
  readonly perEvent?: boolean;
  /** Alternating rounds for runPair (default ROUNDS_PER_PAIR): more for a budget within the machine's noise. */
  readonly rounds?: number;
}

export interface PairResult {
  readonly name: string;
  readonly budgetUs: number | undefined;
  readonly baselineUs: number;
  readonly instrumentedUs: number;
  readonly addedUs: number;
  readonly ratio: number;
  readonly samples: number;
  /** runPair's alternating rounds; undefined for runPerEventPair. */
  readonly rounds: number | undefined;
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

/** Rounds per pair: tinybench runs one task's samples, then the other's, so a pair is split into rounds. */
export const ROUNDS_PER_PAIR = 6;
/** Time each task gets per round, in ms. */
export const ROUND_MS = 250;

/**
 * Runs baseline and instrumented in alternating rounds (each round one Bench with both tasks, the order
 * swapped every round), so drift on the machine and garbage one task leaves for the next fall on both
 * sides; "added" is the median over rounds of the round's instrumented minus baseline median.
 */
/** The row of `pair` from its medians. */
function pairResult(
  pair: Pair,
  baselineUs: number,
  instrumentedUs: number,
  addedUs: number,
  samples: number,
  rounds?: number,
): PairResult {
  return {
    name: pair.name,
    budgetUs: pair.budgetUs,
    baselineUs,
    instrumentedUs,
    addedUs,
    ratio: instrumentedUs / baselineUs,
    samples,
    rounds,
    withinBudget: pair.budgetUs === undefined || addedUs <= pair.budgetUs,
  };
}

/** Runs `measure` between the pair's setup and teardown, inside its `around` context. */
async function measured(pair: Pair, measure: () => Promise<PairResult>): Promise<PairResult> {
  await pair.setup?.();
  try {
    return await (pair.around ?? ((run) => run()))(measure);
  } finally {
    await pair.teardown?.();
  }
}

export function runPair(pair: Pair): Promise<PairResult> {
  const rounds = pair.rounds ?? ROUNDS_PER_PAIR;
  const wrap = pair.async === true ? asyncLoop : loop;
  const baseName = `${pair.name} (baseline)`;
  const instName = `${pair.name} (instrumented)`;
  const tasks: [string, () => unknown][] = [
    [baseName, wrap(pair.baseline)],
    [instName, wrap(pair.instrumented)],
  ];
  return measured(pair, async () => {
    const baseline: number[] = [];
    const instrumented: number[] = [];
    const added: number[] = [];
    let samples = Number.POSITIVE_INFINITY;
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: ROUND_MS, warmupTime: round === 0 ? 300 : 50 });
      for (const [name, fn] of round % 2 === 0 ? tasks : [...tasks].reverse()) bench.add(name, fn);
      await bench.run();
      const base = bench.getTask(baseName);
      const inst = bench.getTask(instName);
      if (base === undefined || inst === undefined) throw new Error('tinybench lost a task');
      const b = medianUsPerOp(base);
      const i = medianUsPerOp(inst);
      baseline.push(b.us);
      instrumented.push(i.us);
      added.push(i.us - b.us);
      samples = Math.min(samples, b.samples, i.samples);
    }
    return pairResult(pair, median(baseline), median(instrumented), median(added), samples, rounds);
  });
}

/** Operations timed per side by runPerEventPair, and the untimed warm-up before them. */
export const TIMED_EVENTS = 200_000;
const WARMUP_EVENTS = 20_000;
/** The event loop gets a turn this often, so work the operations leave behind (span export) runs. */
const EVENTS_PER_TURN = 1000;

/**
 * Times every operation on its own, baseline and instrumented one after the other (the order swapped
 * each time), and compares the median operation of each side. The event loop gets a turn every
 * EVENTS_PER_TURN operations, as in an app, so deferred work (a batch export) runs, but between timed
 * operations: this is the cost on the operation's own path. runPair's rows include the deferred work.
 */
export function runPerEventPair(pair: Pair): Promise<PairResult> {
  return measured(pair, async () => {
    const base = new Float64Array(TIMED_EVENTS);
    const inst = new Float64Array(TIMED_EVENTS);
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    for (let i = 0; i < WARMUP_EVENTS; i++) {
      pair.baseline();
      pair.instrumented();
      if (i % EVENTS_PER_TURN === 0) await turn();
    }
    // the two orders, made once: nothing is allocated between timed operations
    const orders = [
      { first: base, runFirst: pair.baseline, second: inst, runSecond: pair.instrumented },
      { first: inst, runFirst: pair.instrumented, second: base, runSecond: pair.baseline },
    ] as const;
    for (let i = 0; i < TIMED_EVENTS; i++) {
      if (i % EVENTS_PER_TURN === 0) await turn();
      const { first, runFirst, second, runSecond } = orders[i % 2] as (typeof orders)[number];
      let t = performance.now();
      runFirst();
      first[i] = performance.now() - t;
      t = performance.now();
      runSecond();
      second[i] = performance.now() - t;
    }
    const baselineUs = median([...base]) * 1000;
    const instrumentedUs = median([...inst]) * 1000;
    return pairResult(pair, baselineUs, instrumentedUs, instrumentedUs - baselineUs, TIMED_EVENTS);
  });
}

/**
 * `value` to 3 decimals, or to as many more as it takes to tell it from `target` (0.9498 against
 * 0.95 reads 0.9498, not 0.950 beside "not met").
 */
export function ratioText(value: number, target: number): string {
  let digits = 3;
  while (digits < 6 && value !== target && Number(value.toFixed(digits)) === target) digits++;
  return value.toFixed(digits);
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
      `| ${r.name}${r.rounds !== undefined && r.rounds !== ROUNDS_PER_PAIR ? ` (${r.rounds} rounds)` : ''} | ${fmt(r.baselineUs)} | ${fmt(r.instrumentedUs)} | ${fmt(r.addedUs)} | ${r.ratio.toFixed(1)}× | ${r.budgetUs === undefined ? '–' : `≤ ${r.budgetUs}`} | ${r.budgetUs === undefined ? '–' : r.withinBudget ? 'yes' : '**no**'} |`,
  );
  return [
    '| operation | baseline µs/op | instrumented µs/op | added µs/op | ratio | budget µs | within |',
    '| --- | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...rows,
  ].join('\n');
}
