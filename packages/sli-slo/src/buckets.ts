// The bucket guarantee: histogram boundaries that contain every latency SLO threshold, so the
// histogram `@autoweave/metrics` creates and the generated `le` rules can never disagree.
import { DEFAULT_SECONDS_BUCKETS } from '@autoweave/metrics';
import { SloDefinitionError } from './problems';
import type { SliInput } from './types';

/** Which latency SLOs to take thresholds from, and what to add them to. */
export interface BucketsForOptions {
  /**
   * Only SLOs on this histogram (its base name, e.g. `autoweave_usb_event_duration_seconds`).
   * Needed when the SLOs given measure more than one histogram.
   */
  readonly histogram?: string;
  /** Boundaries to start from, in seconds. Default `DEFAULT_SECONDS_BUCKETS` of @autoweave/metrics. */
  readonly base?: readonly number[];
}

type WithSli = { readonly id?: string; readonly sli: SliInput };

/**
 * Sorted, de-duplicated histogram boundaries (seconds) that include the threshold of every latency
 * SLO given, for `metrics.histogram({ name, buckets: bucketsFor(slo) })`. Ratio SLOs are ignored;
 * with no latency SLO selected the result is the base.
 *
 * Thresholds are compared as numbers, which is exact equality of their shortest decimal text: 0.08
 * and 0.08000000001 are two boundaries (two `le` values), never merged. The second argument may be
 * the base array itself: `bucketsFor(slo, [0.01, 0.1, 1])`.
 */
export function bucketsFor(
  slos: WithSli | readonly WithSli[],
  options: BucketsForOptions | readonly number[] = {},
): number[] {
  const opts: BucketsForOptions = Array.isArray(options)
    ? { base: options as readonly number[] }
    : (options as BucketsForOptions);
  const base = opts.base ?? DEFAULT_SECONDS_BUCKETS;
  const list: readonly WithSli[] = Array.isArray(slos) ? (slos as readonly WithSli[]) : [slos as WithSli];
  const problems: { path: string; message: string }[] = [];
  base.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0) {
      problems.push({
        path: `base[${i}]`,
        message: `bucket ${String(b)} must be a finite number of seconds > 0`,
      });
    }
  });

  const latency = list.filter(
    (s): s is WithSli & { sli: Extract<SliInput, { kind: 'latency' }> } =>
      s.sli.kind === 'latency' && (opts.histogram === undefined || s.sli.histogram === opts.histogram),
  );
  const histograms = [...new Set(latency.map((s) => s.sli.histogram))];
  if (histograms.length > 1) {
    problems.push({
      path: 'histogram',
      message: `the SLOs measure ${histograms.length} histograms (${histograms.join(', ')}); pass { histogram: '<name>' } to get the buckets of one`,
    });
  }
  for (const s of latency) {
    const t = s.sli.thresholdSeconds;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
      problems.push({
        path: `${s.id ?? s.sli.histogram}.sli.thresholdSeconds`,
        message: `${String(t)} is not a finite number of seconds > 0`,
      });
    }
  }
  if (problems.length > 0) throw new SloDefinitionError(problems);

  return [...new Set([...base, ...latency.map((s) => s.sli.thresholdSeconds)])].sort((a, b) => a - b);
}
