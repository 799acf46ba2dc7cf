// Latency and error bookkeeping per operation, percentiles, and the plain-text tables of the summary.

/**
 * The nearest-rank percentile (`p` in 0..100) of ascending `sorted` values: the smallest value with
 * at least p% of the values at or below it. NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be 0..100 (got ${p})`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface OperationSummary {
  operation: string;
  requests: number;
  errors: number;
  /** Latency of every request, failed ones included (a slow failure is still slow); NaN with none. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Error reasons, most frequent first. */
  errorReasons: { reason: string; count: number }[];
}

/** Collects outcomes of one run, operation by operation, in the order they first appear. */
export class LoadStats {
  private readonly ops = new Map<string, { latencies: number[]; errors: Map<string, number> }>();

  record(operation: string, latencyMs: number, error?: string): void {
    let op = this.ops.get(operation);
    if (op === undefined) {
      op = { latencies: [], errors: new Map() };
      this.ops.set(operation, op);
    }
    op.latencies.push(latencyMs);
    if (error !== undefined) op.errors.set(error, (op.errors.get(error) ?? 0) + 1);
  }

  get requests(): number {
    let n = 0;
    for (const op of this.ops.values()) n += op.latencies.length;
    return n;
  }

  get errors(): number {
    let n = 0;
    for (const op of this.ops.values()) for (const count of op.errors.values()) n += count;
    return n;
  }

  /** p-th percentile of every latency so far (for the progress line). */
  overallPercentile(p: number): number {
    return percentile(
      [...this.ops.values()].flatMap((op) => op.latencies).sort((a, b) => a - b),
      p,
    );
  }

  /** One row per operation plus a last row, `all`, over everything. */
  summary(): OperationSummary[] {
    const rows: OperationSummary[] = [];
    const all = { latencies: [] as number[], errors: new Map<string, number>() };
    const row = (
      operation: string,
      op: { latencies: number[]; errors: Map<string, number> },
    ): OperationSummary => {
      const sorted = [...op.latencies].sort((a, b) => a - b);
      return {
        operation,
        requests: sorted.length,
        errors: [...op.errors.values()].reduce((a, b) => a + b, 0),
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        p99Ms: percentile(sorted, 99),
        errorReasons: [...op.errors]
          .map(([reason, count]) => ({ reason, count }))
          .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      };
    };
    for (const [name, op] of this.ops) {
      rows.push(row(name, op));
      all.latencies.push(...op.latencies);
      for (const [reason, count] of op.errors) all.errors.set(reason, (all.errors.get(reason) ?? 0) + count);
    }
    rows.push(row('all', all));
    return rows;
  }
}

/** A fixed-width text table; columns after the first are right-aligned (numbers). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function operationTable(rows: readonly OperationSummary[]): string {
  return formatTable(
    ['operation', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms'],
    rows.map((r) => [
      r.operation,
      String(r.requests),
      String(r.errors),
      formatMs(r.p50Ms),
      formatMs(r.p95Ms),
      formatMs(r.p99Ms),
    ]),
  );
}
