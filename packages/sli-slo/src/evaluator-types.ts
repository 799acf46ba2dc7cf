// The public shapes of the in-process SLO evaluator: what it records, reports and tells listeners.
import type { SloDefinition } from './types';

/** Label values of one event; only the SLO's `groupBy` labels are read, numbers become strings. */
export type SloLabels = Readonly<Record<string, string | number | undefined>>;

/** An alert tier starting or stopping to fire for one group of one SLO. */
export interface SloAlertEvent {
  readonly sloId: string;
  readonly service: string;
  /** The group's labels (`groupBy` label → value); `{}` for an SLO without `groupBy`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The SLO's routing labels (`SloDefinition.labels`). */
  readonly routing: Readonly<Record<string, string>>;
  /** Tier name, the `slo_tier` label of the generated alert (e.g. `page-fast`). */
  readonly tier: string;
  readonly severity: 'page' | 'ticket';
  readonly state: 'firing' | 'resolved';
  readonly shortWindow: string;
  readonly longWindow: string;
  /** Error ratios over the tier's windows at `at`; null for a window without events. */
  readonly shortErrorRatio: number | null;
  readonly longErrorRatio: number | null;
  readonly shortBurnRate: number;
  readonly longBurnRate: number;
  /** The tier's burn-rate factor and error-ratio threshold (factor × (1 − objective)). */
  readonly factor: number;
  readonly threshold: number;
  /** When this tier started firing (ms since the epoch); for `resolved`, when the episode began. */
  readonly since: number;
  /** When the change was seen (ms since the epoch). */
  readonly at: number;
}

export type SloAlertListener = (event: SloAlertEvent) => void;

/** Counts of one window for one group, and what follows from them. */
export interface SloWindowStatus {
  /** Prometheus duration as in `SloDefinition.windows` (`5m`, `30d`). */
  readonly window: string;
  readonly good: number;
  readonly total: number;
  /** good / total; null when the window holds no events. */
  readonly sli: number | null;
  /** (total − good) / total; null when the window holds no events. */
  readonly errorRatio: number | null;
  /** errorRatio / (1 − objective); 0 when the window holds no events. */
  readonly burnRate: number;
}

/** The state of one alert tier for one group. */
export interface SloTierStatus {
  readonly tier: string;
  readonly severity: 'page' | 'ticket';
  readonly shortWindow: string;
  readonly longWindow: string;
  readonly factor: number;
  readonly threshold: number;
  readonly firing: boolean;
  readonly shortErrorRatio: number | null;
  readonly longErrorRatio: number | null;
  readonly shortBurnRate: number;
  readonly longBurnRate: number;
  /** Events in the long window, compared with the SLO's `minEvents`. */
  readonly longWindowEvents: number;
  /** When the tier started firing (ms since the epoch); null while it is not firing. */
  readonly since: number | null;
}

export interface SloGroupStatus {
  readonly labels: Readonly<Record<string, string>>;
  readonly windows: readonly SloWindowStatus[];
  /**
   * 1 − errorRatio(SLO window) / (1 − objective): 1 with no bad events (or none at all), 0 when the
   * budget is spent, negative when overspent.
   */
  readonly errorBudgetRemaining: number;
  readonly alerts: readonly SloTierStatus[];
}

export interface SloStatus {
  readonly id: string;
  readonly service: string;
  readonly description: string;
  readonly sliKind: 'ratio' | 'latency';
  readonly objective: number;
  /** 1 − objective. */
  readonly errorBudget: number;
  /** The SLO window, e.g. `30d`. */
  readonly window: string;
  readonly groupBy: readonly string[];
  readonly groups: readonly SloGroupStatus[];
  /** Events whose group labels were replaced by `__overflow__` (too many groups or a bad value). */
  readonly overflowedEvents: number;
}

/** What the evaluator knows at `evaluatedAt`: plain data, `JSON.stringify`-safe (no NaN, no Infinity). */
export interface SloSnapshot {
  /** ms since the epoch. */
  readonly evaluatedAt: number;
  readonly slos: readonly SloStatus[];
  /** Calls ignored: an unknown SLO id, an invalid value, or `recordLatency` on a ratio SLO. */
  readonly dropped: {
    readonly unknownSlo: number;
    readonly invalidValue: number;
    readonly wrongKind: number;
  };
  /** Alert listeners that threw (the error is swallowed; the other listeners still run). */
  readonly listenerErrors: number;
}

export interface SloEvaluatorOptions {
  /** The SLOs to evaluate, as returned by `defineSlo`. Ids must be unique. */
  readonly slos: readonly SloDefinition[];
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Distinct label sets per SLO with `groupBy` before further events go to one overflow group whose
   * labels are all `__overflow__`. Default 1000.
   */
  readonly maxGroups?: number;
  /** Re-evaluate alert states every `intervalMs` (the timer is unref'd); 0 turns it off. Default 10000. */
  readonly intervalMs?: number;
  /** Time buckets per window: a window's far edge is off by at most 1/bucketsPerWindow of it. Default 60. */
  readonly bucketsPerWindow?: number;
  /** Listener for alert state changes, as if passed to `subscribe`. */
  readonly onAlertChange?: SloAlertListener;
}

/** Records events of one group of one SLO, its labels resolved once (see {@link SloEvaluator.bind}). */
export interface SloRecorder {
  record(good: boolean): void;
  recordLatency(seconds: number): void;
  recordMany(good: number, total: number): void;
}

export interface SloEvaluator {
  /** The definitions evaluated, in the order given. */
  readonly slos: readonly SloDefinition[];
  /** Counts one event, good or bad. Never throws: an unknown id or a non-boolean is counted and ignored. */
  record(sloId: string, good: boolean, labels?: SloLabels): void;
  /**
   * Counts one event of a latency SLO: good when `seconds` ≤ the SLI's `thresholdSeconds` (as the
   * histogram's `le` bucket counts it). A negative or non-finite value is counted as invalid and
   * ignored, as the metrics histogram drops it.
   */
  recordLatency(sloId: string, seconds: number, labels?: SloLabels): void;
  /** Counts `total` events of which `good` were good (finite, 0 ≤ good ≤ total). */
  recordMany(sloId: string, good: number, total: number, labels?: SloLabels): void;
  /** Resolves the SLO and the group of `labels` once, for hot loops. */
  bind(sloId: string, labels?: SloLabels): SloRecorder;
  /** Re-evaluates every alert tier of every group now and emits the state changes. */
  evaluate(): void;
  /** Evaluates (emitting state changes) and returns everything as plain data. */
  snapshot(): SloSnapshot;
  /** Adds an alert listener; returns the function that removes it. */
  on(event: 'alert', listener: SloAlertListener): () => void;
  /** Same as `on('alert', listener)`. */
  subscribe(listener: SloAlertListener): () => void;
  /** Stops the timer and removes the listeners. Recording keeps working; nothing is evaluated by itself. */
  close(): void;
}
