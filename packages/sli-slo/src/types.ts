// Public types of @autoweave/sli-slo: the shape of an SLO definition as written (input) and as
// validated (SloDefinition), shared by the evaluator, the rule generator, the test generator and the CLI.

/** A Prometheus counter (its exposed name, `_total` included) and the equality matchers that select it. */
export interface CounterSelector {
  readonly metric: string;
  /** Label equality matchers, e.g. `{ outcome: 'failure' }`. */
  readonly matchers?: Readonly<Record<string, string>>;
}

/**
 * Ratio SLI: good/total or bad/total events from counters. Give exactly one of `good` and `bad`.
 * Often the same counter with different matchers: `total: { metric: 'x_total' }`,
 * `bad: { metric: 'x_total', matchers: { outcome: 'failure' } }`.
 */
export interface RatioSliInput {
  readonly kind: 'ratio';
  readonly total: CounterSelector;
  readonly good?: CounterSelector;
  readonly bad?: CounterSelector;
}

/**
 * Latency SLI: the fraction of a histogram's observations at or below `thresholdSeconds`. The
 * threshold must be one of the histogram's bucket boundaries (`bucketsFor` guarantees it).
 */
export interface LatencySliInput {
  readonly kind: 'latency';
  /** The histogram's base name as exposed (`autoweave_usb_event_duration_seconds`), no `_bucket`. */
  readonly histogram: string;
  readonly thresholdSeconds: number;
  readonly matchers?: Readonly<Record<string, string>>;
}

export type SliInput = RatioSliInput | LatencySliInput;

/** One multi-window multi-burn-rate alert tier, as written. */
export interface AlertTierInput {
  /** Stable tier name, used as the `slo_tier` label: e.g. `page-fast`. Lower kebab case. */
  readonly name: string;
  readonly severity: 'page' | 'ticket';
  /** Prometheus durations, short < long. */
  readonly shortWindow: string;
  readonly longWindow: string;
  /**
   * Share of the whole error budget this tier allows to burn within `longWindow` before alerting,
   * in percent (Sloth/SRE Workbook). The burn-rate factor is derived from it:
   * factor = budgetPercent / 100 × window / longWindow.
   */
  readonly budgetPercent: number;
  /** Optional `for:` of the generated alert. Default none (the short window already debounces). */
  readonly for?: string;
}

export interface SloInput {
  /** Stable id, `^[a-z0-9][a-z0-9-]{0,62}$`; the `slo_id` label. Never reuse one for another meaning. */
  readonly id: string;
  /** Service the SLO belongs to; the `slo_service` label. */
  readonly service: string;
  readonly description: string;
  /** Target fraction of good events, in (0, 1), e.g. 0.999. */
  readonly objective: number;
  /** Rolling window, a Prometheus duration. Default `30d`. */
  readonly window?: string;
  readonly sli: SliInput;
  /** One SLO series per value combination of these labels (e.g. `['tenant_id']`). Default none. */
  readonly groupBy?: readonly string[];
  /**
   * Minimum events in an alert's long window before it may fire (low-traffic guard). Default 0 (off).
   * In rules: `and <total events over the long window> >= minEvents`.
   */
  readonly minEvents?: number;
  /** Routing labels added to every alert of this SLO (e.g. `{ team: 'platform' }`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Absolute http(s) URL put in every alert's annotations. `undefined` = none (so a definition spreads into an input). */
  readonly runbookUrl?: string | undefined;
  /** Alert tiers; default {@link DEFAULT_TIERS} (Workbook / Sloth: 2% 1h&5m, 5% 6h&30m, 10% 1d&2h, 10% 3d&6h). */
  readonly tiers?: readonly AlertTierInput[];
}

/** A validated tier with its derived burn-rate factor and error-ratio threshold as exact decimal strings. */
export interface AlertTier {
  readonly name: string;
  readonly severity: 'page' | 'ticket';
  readonly shortWindow: string;
  readonly longWindow: string;
  readonly shortWindowMs: number;
  readonly longWindowMs: number;
  readonly budgetPercent: number;
  /** Burn-rate factor, exact decimal (e.g. `"14.4"`); `factorValue` is the same as a number. */
  readonly factor: string;
  readonly factorValue: number;
  /** Error-ratio threshold = factor × (1 − objective), exact decimal (e.g. `"0.0144"`). */
  readonly threshold: string;
  readonly thresholdValue: number;
  readonly for?: string;
}

/** A validated, frozen SLO definition: what `defineSlo` returns and everything else consumes. */
export interface SloDefinition {
  readonly id: string;
  readonly service: string;
  readonly description: string;
  readonly objective: number;
  /** `1 − objective`, exact decimal string (e.g. `"0.001"`). */
  readonly errorBudget: string;
  readonly window: string;
  readonly windowMs: number;
  readonly sli: SliInput;
  readonly groupBy: readonly string[];
  readonly minEvents: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly runbookUrl: string | undefined;
  readonly tiers: readonly AlertTier[];
  /**
   * Every window the SLI is evaluated over, ascending and de-duplicated: the tiers' short and long
   * windows plus the SLO window (default set: 5m 30m 1h 2h 6h 1d 3d 30d).
   */
  readonly windows: readonly string[];
}
