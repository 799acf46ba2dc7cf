// The scenarios of the generated `promtool test rules` suites: for one SLO on one evaluation grid,
// the synthetic series of each situation (an outage and its recovery, no data, too little traffic,
// a 0.5× burn, a slow burn, a full outage) and the exact alerts and recorded samples Prometheus must
// produce for them, computed by replaying Prometheus' own arithmetic.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { formatDuration } from './duration';
import { expand, goFormatG } from './go-format';
import {
  type Firing,
  LOOKBACK_MS,
  type SimSeries,
  type Tick,
  errorRatios,
  labelKey,
  sampleTime,
  simulate,
} from './prometheus-sim';
import { quote, renderSelector, totalSelector } from './promql';
import {
  SLO_SERIES,
  type PrometheusRulesOptions,
  type ResolvedRulesOptions,
  baseWindow,
  burnAnnotationParts,
  noDataAnnotationParts,
} from './rules';
import {
  type GroupPlan,
  type Step,
  samplesUntil,
  seriesForGroup,
  seriesText,
  stepAt,
  valuesText,
} from './synthetic-series';
import type { AlertTier, SloDefinition } from './types';

export interface RuleTestsOptions extends PrometheusRulesOptions {
  /**
   * The rule file the suites load, as written in `rule_files:` (relative to the test file). A string
   * when every SLO of `slos` is in that one file (each suite then expects the other SLOs' alerts too);
   * a function when each SLO has its own file, which makes `promtool test rules` several times faster.
   * The file must be what {@link generatePrometheusRules} made from the same SLOs and options.
   */
  readonly ruleFile: string | ((slo: SloDefinition) => string);
}

/** One alert as `promtool` lists it: labels without `alertname`, expanded annotations. */
export interface ExpectedAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface AlertAssertion {
  readonly evalTimeMs: number;
  readonly alertname: string;
  readonly alerts: readonly ExpectedAlert[];
  /** Why this instant is checked. */
  readonly comment: string;
}

export interface SampleAssertion {
  readonly evalTimeMs: number;
  readonly expr: string;
  readonly samples: readonly { readonly labels: string; readonly value: number }[];
}

/** One `tests:` entry: synthetic series and what Prometheus must answer. */
export interface RuleTestScenario {
  /** Stable key: `outage`, `no-data`, `low-traffic`, `half-burn`, `slow-burn`, `full-outage`. */
  readonly key: string;
  readonly name: string;
  readonly series: readonly { readonly series: string; readonly values: string }[];
  readonly alerts: readonly AlertAssertion[];
  readonly samples: readonly SampleAssertion[];
  /** What the scenario showed, in ms (e.g. `pageAfterMs`, `resolvedAfterMs`). */
  readonly facts: Readonly<Record<string, number>>;
}

/** One test file. */
export interface RuleTestSuite {
  readonly fileName: string;
  readonly slo: SloDefinition;
  readonly ruleFile: string;
  /** Sample interval of the input series and evaluation interval of the rules. */
  readonly grid: { readonly sampleMs: number; readonly evalMs: number };
  readonly scenarios: readonly RuleTestScenario[];
}

export const MINUTE = 60_000;

/** Sample and evaluation intervals of a suite. */
export interface Grid {
  readonly sampleMs: number;
  readonly evalMs: number;
}
/** Minute evaluations for detection and recovery times; 1m + 1ms samples (see {@link samplingNote}). */
export const FAST: Grid = { sampleMs: MINUTE + 1, evalMs: MINUTE };
/** Half-hour evaluations over days; 2m + 1ms samples still put two in every 5m window. */
export const LONG: Grid = { sampleMs: 2 * MINUTE + 1, evalMs: 30 * MINUTE };

/** The header comment explaining how the synthetic series were built. */
export function samplingNote(grid: Grid): string[] {
  return [
    ` Samples every ${grid.sampleMs}ms (whole minutes + 1ms, first one at ${grid.sampleMs}ms): no sample ever sits on`,
    ' a range boundary, so the values do not depend on ranges being closed (Prometheus 2) or left-open',
    ' (Prometheus 3). Counters start at ten times their largest step, so rate() never extrapolates to a',
    ' zero point. Expected alerts, values and annotations replay Prometheus arithmetic over these samples.',
  ];
}

// ---- scenarios --------------------------------------------------------------------------------------

export interface Context {
  readonly slo: SloDefinition;
  /** Every SLO loaded with the rule file the suite uses. */
  readonly ruleSlos: readonly SloDefinition[];
  readonly options: ResolvedRulesOptions;
  /** Events per step at normal traffic. */
  readonly traffic: number;
  readonly grid: Grid;
}

const FAILING = 'failing';
const HEALTHY = 'healthy';

function groupLabels(slo: SloDefinition, value: string): Record<string, string> {
  return Object.fromEntries(slo.groupBy.map((g) => [g, value]));
}

/** The failing group's plan and, for grouped SLOs, a healthy group beside it. */
function groups(
  ctx: Context,
  untilMs: number,
  failing: (k: number) => Step,
  healthy?: (k: number) => Step,
): GroupPlan[] {
  const samples = samplesUntil(untilMs, ctx.grid.sampleMs);
  const plans: GroupPlan[] = [{ labels: groupLabels(ctx.slo, FAILING), step: failing, samples }];
  if (ctx.slo.groupBy.length > 0) {
    const quiet = healthy ?? ((): Step => ({ total: ctx.traffic, bad: 0 }));
    plans.push({ labels: groupLabels(ctx.slo, HEALTHY), step: quiet, samples });
  }
  return plans;
}

interface Run {
  readonly series: SimSeries[];
  readonly ticks: Tick[];
  at(t: number): Tick;
}

function run(ctx: Context, plans: readonly GroupPlan[], untilMs: number): Run {
  const series = plans.flatMap((p) => seriesForGroup(ctx.slo, p, ctx.grid.sampleMs));
  const evalMs = ctx.grid.evalMs;
  const ticks = simulate(series, ctx.ruleSlos, ctx.options, evalMs, untilMs);
  return {
    series,
    ticks,
    at: (t) => {
      const tick = ticks[Math.round(t / evalMs)];
      if (tick === undefined || tick.t !== t) throw new Error(`internal: no evaluation at ${t}`);
      return tick;
    },
  };
}

function ceilTo(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}

/** A duration for prose, to the second. */
function human(ms: number): string {
  return formatDuration(Math.round(ms / 1000) * 1000);
}

function forMs(tier: AlertTier): number {
  return tier.for !== undefined ? (parsePrometheusDuration(tier.for) as number) : 0;
}

function isPage(f: Firing, slo: SloDefinition): boolean {
  return f.slo === slo && f.tier?.severity === 'page';
}

function ownFiring(tick: Tick, slo: SloDefinition, tier?: AlertTier): Firing[] {
  return tick.burn.filter((f) => f.slo === slo && (tier === undefined || f.tier === tier));
}

function expected(ctx: Context, firing: readonly Firing[]): ExpectedAlert[] {
  return firing
    .map((f) => {
      const parts =
        f.tier === undefined ? noDataAnnotationParts(f.slo, ctx.options) : burnAnnotationParts(f.slo, f.tier);
      const annotations = Object.fromEntries(
        Object.entries(parts).map(([k, v]) => [k, expand(v, f.value, f.labels)]),
      );
      return { labels: f.labels, annotations };
    })
    .sort((a, b) => (labelKey(a.labels) < labelKey(b.labels) ? -1 : 1));
}

function burnAssertion(ctx: Context, tick: Tick, comment: string): AlertAssertion {
  return {
    evalTimeMs: tick.t,
    alertname: ctx.options.burnAlertName,
    alerts: expected(ctx, tick.burn),
    comment,
  };
}

function describeGroups(slo: SloDefinition): string {
  if (slo.groupBy.length === 0) return '';
  return ` (group ${slo.groupBy.map((g) => `${g}="${FAILING}"`).join(', ')}; the "${HEALTHY}" group stays quiet)`;
}

/**
 * (a) + (b): a 100% outage that lasts until the first page, then recovery until every page has
 * resolved. The history before it covers the page windows sample by sample; one opening step holds
 * the rest of the longest window's healthy traffic, so the ticket windows see a full history too
 * without evaluating days minute by minute.
 */
export function outageScenario(ctx: Context): RuleTestScenario | undefined {
  const { slo, grid } = ctx;
  const pages = slo.tiers.filter((t) => t.severity === 'page');
  if (pages.length === 0) return undefined;
  const t0 = ceilTo(Math.max(...pages.map((t) => t.longWindowMs)) + 10 * MINUTE, grid.evalMs);
  const longest = Math.max(...slo.tiers.map((t) => t.longWindowMs));
  const historySteps = Math.max(0, Math.round((longest - t0) / grid.sampleMs));
  const k0 = stepAt(t0, grid.sampleMs);
  const traffic = (k: number, bad: boolean): Step =>
    k === 1
      ? { total: ctx.traffic * (1 + historySteps), bad: 0 }
      : { total: ctx.traffic, bad: bad ? ctx.traffic : 0 };
  const healthy = (k: number): Step => traffic(k, false);
  const cap = t0 + Math.max(...pages.map((t) => t.longWindowMs + forMs(t))) + 10 * MINUTE;
  const probe = run(
    ctx,
    groups(ctx, cap, (k) => traffic(k, k >= k0), healthy),
    cap,
  );
  const firstPage = probe.ticks.find((tick) => tick.t >= t0 && tick.burn.some((f) => isPage(f, slo)));
  if (firstPage === undefined)
    throw new Error(`SLO "${slo.id}": a 100% outage never pages within ${human(cap - t0)}`);
  const recovery = firstPage.t;
  const k1 = stepAt(recovery, grid.sampleMs);
  const until = recovery + Math.max(...pages.map((t) => t.shortWindowMs)) + 20 * MINUTE;
  const r = run(
    ctx,
    groups(ctx, until, (k) => traffic(k, k >= k0 && k < k1), healthy),
    until,
  );
  const resolved = r.ticks.find((tick) => tick.t > recovery && !tick.burn.some((f) => isPage(f, slo)));
  if (resolved === undefined) {
    throw new Error(
      `SLO "${slo.id}": the page does not resolve within ${human(until - recovery)} of recovery`,
    );
  }
  const pageAfter = firstPage.t - t0;
  const resolvedAfter = resolved.t - recovery;
  const history =
    historySteps > 0
      ? `; the first step carries ${human(historySteps * grid.sampleMs)} of healthy traffic so ${formatDuration(longest)} windows see a full history`
      : '';
  return {
    key: 'outage',
    name: `${slo.id}: a 100% outage from ${human(t0)} pages after ${human(pageAfter)}; fixed then, the page resolves ${human(resolvedAfter)} after recovery${describeGroups(slo)}`,
    series: seriesEntries(r.series),
    alerts: [
      burnAssertion(ctx, r.at(t0 - grid.evalMs), `healthy before the outage${history}`),
      burnAssertion(ctx, r.at(firstPage.t - grid.evalMs), 'one evaluation before the page: not paging yet'),
      burnAssertion(
        ctx,
        r.at(firstPage.t),
        `the page, ${human(pageAfter)} into the outage; the outage ends here`,
      ),
      burnAssertion(ctx, r.at(resolved.t - grid.evalMs), 'still paging one evaluation before it resolves'),
      burnAssertion(ctx, resolved, `no page ${human(resolvedAfter)} after recovery`),
    ],
    samples: [],
    facts: { outageStartMs: t0, pageAfterMs: pageAfter, resolvedAfterMs: resolvedAfter },
  };
}

/** (e): the SLI's series stop; the no-data alert fires after the 5m lookback and its `for:`. */
export function noDataScenario(ctx: Context): RuleTestScenario {
  const { slo, options, grid } = ctx;
  const lastSample = 10;
  const gone = sampleTime(lastSample, grid.sampleMs);
  const until = ceilTo(gone + LOOKBACK_MS + options.noDataForMs + 5 * MINUTE, grid.evalMs);
  const plans = groups(ctx, sampleTime(lastSample, grid.sampleMs), () => ({ total: ctx.traffic, bad: 0 }));
  const r = run(ctx, plans, until);
  const fired = r.ticks.find((tick) => tick.t > gone && tick.noData.some((f) => f.slo === slo));
  if (fired === undefined) throw new Error(`SLO "${slo.id}": the no-data alert never fires`);
  const assertion = (tick: Tick, comment: string): AlertAssertion => ({
    evalTimeMs: tick.t,
    alertname: options.noDataAlertName,
    alerts: expected(ctx, tick.noData),
    comment,
  });
  return {
    key: 'no-data',
    name: `${slo.id}: when ${renderSelector(totalSelector(slo.sli))} stops at ${human(gone)}, ${options.noDataAlertName} fires ${human(fired.t - gone)} later`,
    series: seriesEntries(r.series),
    alerts: [
      assertion(r.at(5 * MINUTE), 'data present'),
      assertion(r.at(fired.t - grid.evalMs), 'absent, still pending'),
      assertion(fired, `firing: 5m lookback plus for: ${options.noDataFor}`),
    ],
    samples: [],
    facts: { noDataAfterMs: fired.t - gone },
  };
}

/** The min-events guard: a total outage at low traffic stays quiet until the long window holds enough events. */
export function lowTrafficScenario(ctx: Context): RuleTestScenario | undefined {
  const { slo, grid } = ctx;
  if (slo.minEvents <= 0) return undefined;
  const perStep = Math.max(1, Math.ceil(slo.minEvents / 30));
  const cap = ceilTo(Math.ceil(slo.minEvents / perStep) * grid.sampleMs + 30 * MINUTE, grid.evalMs);
  const r = run(
    ctx,
    groups(ctx, cap, () => ({ total: perStep, bad: perStep })),
    cap,
  );
  const first = r.ticks.find((tick) => ownFiring(tick, slo).length > 0);
  if (first === undefined)
    throw new Error(`SLO "${slo.id}": the low-traffic outage never alerts within ${human(cap)}`);
  const before = r.at(first.t - grid.evalMs);
  // The claim holds only if every tier's ratios were already over threshold: the guard alone held them.
  const heldByGuard = slo.tiers.every((tier) => {
    const over = (ms: number): boolean =>
      [...errorRatios(slo, r.series, before.t, ms).values()].some((g) => g.value > Number(tier.threshold));
    return over(tier.longWindowMs) && over(tier.shortWindowMs);
  });
  // With a handful of minEvents the guard passes before the windows hold two samples: nothing to show.
  if (!heldByGuard) return undefined;
  return {
    key: 'low-traffic',
    name: `${slo.id}: a 100% outage at ${perStep} events/min stays quiet while the long windows hold fewer than ${slo.minEvents} events, then alerts at ${human(first.t)}${describeGroups(slo)}`,
    series: seriesEntries(r.series),
    alerts: [
      burnAssertion(
        ctx,
        before,
        `every ratio is over its threshold, but fewer than ${slo.minEvents} events: no alert`,
      ),
      burnAssertion(ctx, first, `the long windows now hold ${slo.minEvents} events`),
    ],
    samples: [],
    facts: { alertAfterMs: first.t },
  };
}

/** Steady traffic with `burn` × the error budget bad, as whole events; the burn actually used. */
function burnStep(ctx: Context, burn: number): { step: Step; burn: number } {
  const budget = Number(ctx.slo.errorBudget);
  const bad = Math.round(burn * budget * ctx.traffic);
  return { step: { total: ctx.traffic, bad }, burn: bad / (ctx.traffic * budget) };
}

function burnText(burn: number): string {
  return `${goFormatG(burn, 4)}x`;
}

/** (c): a steady 0.5× burn over the longest window never pages. Also checks the recorded series. */
export function halfBurnScenario(ctx: Context): RuleTestScenario {
  const { slo, grid } = ctx;
  const { step, burn } = burnStep(ctx, 0.5);
  const longest = Math.max(...slo.tiers.map((t) => t.longWindowMs));
  const until = ceilTo(longest + grid.evalMs, grid.evalMs);
  const r = run(
    ctx,
    groups(ctx, until, () => step),
    until,
  );
  const paged = r.ticks.find((tick) => tick.burn.some((f) => isPage(f, slo)));
  const times = [...new Set([...slo.tiers.map((t) => ceilTo(t.longWindowMs, grid.evalMs)), until])].sort(
    (a, b) => a - b,
  );
  const ticket = r.ticks.some((tick) => ownFiring(tick, slo).length > 0);
  return {
    key: 'half-burn',
    name:
      `${slo.id}: a steady ${burnText(burn)} burn for ${human(until)} ` +
      (paged !== undefined
        ? `pages at ${human(paged.t)}: a page tier's factor is under 0.5`
        : `never pages${ticket ? ' (a ticket tier whose factor is under 0.5 fires)' : ' and raises no ticket'}`) +
      describeGroups(slo),
    series: seriesEntries(r.series),
    alerts: times.map((t) => burnAssertion(ctx, r.at(t), `${human(t)} of ${burnText(burn)} burn`)),
    samples: recordedSamples(ctx, r, until),
    facts: { burn },
  };
}

/** (d): after a healthy history, a burn just above the lowest factor raises that tier and no page. */
export function slowBurnScenario(ctx: Context): RuleTestScenario {
  const { slo, grid } = ctx;
  const byFactor = [...slo.tiers].sort((a, b) => a.factorValue - b.factorValue);
  const lowest = byFactor[0] as AlertTier;
  const next = byFactor.find((t) => t.factorValue > lowest.factorValue);
  const target = Math.min(
    lowest.factorValue * 1.2,
    next !== undefined ? (lowest.factorValue + next.factorValue) / 2 : Infinity,
  );
  const { step, burn } = burnStep(ctx, target);
  const t0 = ceilTo(Math.max(...slo.tiers.map((t) => t.longWindowMs)), grid.evalMs);
  const k0 = stepAt(t0, grid.sampleMs);
  const healthy: Step = { total: ctx.traffic, bad: 0 };
  const plan = (until: number): GroupPlan[] => groups(ctx, until, (k) => (k >= k0 ? step : healthy));
  const cap = t0 + 2 * lowest.longWindowMs + grid.evalMs;
  const first = run(ctx, plan(cap), cap).ticks.find((tick) => ownFiring(tick, slo, lowest).length > 0);
  if (first === undefined)
    throw new Error(`SLO "${slo.id}": a ${burnText(burn)} burn never raises ${lowest.name}`);
  const until = first.t + grid.evalMs;
  const r = run(ctx, plan(until), until);
  const paged = r.ticks.some((tick) => tick.burn.some((f) => isPage(f, slo)));
  const what = lowest.severity === 'ticket' ? 'ticket' : 'page';
  return {
    key: 'slow-burn',
    name: `${slo.id}: after ${human(t0)} healthy, a sustained ${burnText(burn)} burn (over the ${lowest.factor}x of ${lowest.name}) raises the ${what} after ${human(first.t - t0)}${paged ? '' : ' and never pages'}${describeGroups(slo)}`,
    series: seriesEntries(r.series),
    alerts: [
      burnAssertion(ctx, r.at(t0), 'healthy until now'),
      burnAssertion(ctx, r.at(first.t - grid.evalMs), `one evaluation before ${lowest.name}`),
      burnAssertion(ctx, r.at(first.t), `${lowest.name} fires`),
      burnAssertion(ctx, r.at(until), 'still firing'),
    ],
    samples: [],
    facts: { burn, firedAfterMs: first.t - t0 },
  };
}

/** After a full healthy history, a 100% outage fires every tier; after recovery the pages resolve. */
export function fullOutageScenario(ctx: Context): RuleTestScenario {
  const { slo, grid } = ctx;
  const longest = Math.max(...slo.tiers.map((t) => t.longWindowMs));
  const t0 = ceilTo(longest, grid.evalMs);
  const k0 = stepAt(t0, grid.sampleMs);
  const full: Step = { total: ctx.traffic, bad: ctx.traffic };
  const healthy: Step = { total: ctx.traffic, bad: 0 };
  const cap = t0 + longest + grid.evalMs;
  const probe = run(
    ctx,
    groups(ctx, cap, (k) => (k >= k0 ? full : healthy)),
    cap,
  );
  const firsts = new Map<AlertTier, number>();
  for (const tick of probe.ticks) {
    for (const f of ownFiring(tick, slo))
      if (f.tier !== undefined && !firsts.has(f.tier)) firsts.set(f.tier, tick.t);
    if (firsts.size === slo.tiers.length) break;
  }
  const missing = slo.tiers.filter((t) => !firsts.has(t));
  if (missing.length > 0) {
    throw new Error(
      `SLO "${slo.id}": ${missing.map((t) => t.name).join(', ')} never fire during a 100% outage`,
    );
  }
  const recovery = Math.max(...firsts.values());
  const k1 = stepAt(recovery, grid.sampleMs);
  const pages = slo.tiers.filter((t) => t.severity === 'page');
  const until =
    recovery +
    ceilTo(Math.max(0, ...pages.map((t) => t.shortWindowMs + forMs(t))) + 2 * grid.evalMs, grid.evalMs);
  const r = run(
    ctx,
    groups(ctx, until, (k) => (k >= k0 && k < k1 ? full : healthy)),
    until,
  );
  const times = [...new Set(firsts.values())].sort((a, b) => a - b);
  const alerts = [
    burnAssertion(ctx, r.at(t0), 'healthy for the longest window'),
    ...times.map((t) => {
      const names = slo.tiers.filter((tier) => firsts.get(tier) === t).map((tier) => tier.name);
      return burnAssertion(
        ctx,
        r.at(t),
        `${names.join(', ')} ${names.length > 1 ? 'fire' : 'fires'} ${human(t - t0)} into the outage`,
      );
    }),
  ];
  const resolved = r.ticks.find((tick) => tick.t > recovery && !tick.burn.some((f) => isPage(f, slo)));
  if (resolved !== undefined && pages.length > 0) {
    alerts.push(
      burnAssertion(
        ctx,
        resolved,
        `recovered at ${human(recovery)}: no page ${human(resolved.t - recovery)} later`,
      ),
    );
  }
  const each = slo.tiers.map((t) => `${t.name} after ${human((firsts.get(t) as number) - t0)}`).join(', ');
  return {
    key: 'full-outage',
    name: `${slo.id}: a 100% outage after ${human(t0)} healthy fires every tier (${each})${describeGroups(slo)}`,
    series: seriesEntries(r.series),
    alerts,
    samples: [],
    facts: Object.fromEntries(slo.tiers.map((t) => [`${t.name}AfterMs`, (firsts.get(t) as number) - t0])),
  };
}

/** promql_expr_test entries: the recorded ratio of every tier window, the current burn rate and the metadata. */
function recordedSamples(ctx: Context, r: Run, t: number): SampleAssertion[] {
  const { slo } = ctx;
  const id = { slo_id: slo.id, slo_service: slo.service };
  const select = `{slo_id=${quote(slo.id)}}`;
  const ms = (w: string): number => parsePrometheusDuration(w) as number;
  const windows = [...new Set(slo.tiers.flatMap((tier) => [tier.shortWindow, tier.longWindow]))].sort(
    (a, b) => ms(a) - ms(b),
  );
  const out: SampleAssertion[] = windows.map((w) => {
    const name = SLO_SERIES.errorRatio(w);
    return {
      evalTimeMs: t,
      expr: `${name}${select}`,
      samples: [...errorRatios(slo, r.series, t, ms(w)).values()].map((g) => ({
        labels: seriesText({ __name__: name, ...id, slo_window: w, ...g.labels }),
        value: g.value,
      })),
    };
  });
  const base = baseWindow(slo);
  out.push({
    evalTimeMs: t,
    expr: `${SLO_SERIES.currentBurnRate}${select}`,
    samples: [...errorRatios(slo, r.series, t, ms(base)).values()].map((g) => ({
      labels: seriesText({ __name__: SLO_SERIES.currentBurnRate, ...id, slo_window: base, ...g.labels }),
      value: g.value / Number(slo.errorBudget),
    })),
  });
  const constant = (name: string, value: number): SampleAssertion => ({
    evalTimeMs: t,
    expr: `${name}${select}`,
    samples: [{ labels: seriesText({ __name__: name, ...id }), value }],
  });
  out.push(
    constant(SLO_SERIES.objective, slo.objective),
    constant(SLO_SERIES.errorBudget, Number(slo.errorBudget)),
    constant(SLO_SERIES.timePeriod, slo.windowMs / 1000),
  );
  return out;
}

function seriesEntries(series: readonly SimSeries[]): { series: string; values: string }[] {
  return series.map((s) => ({ series: seriesText(s.labels), values: valuesText(s.values) }));
}
