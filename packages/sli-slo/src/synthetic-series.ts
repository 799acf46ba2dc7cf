// Synthetic traffic for the rule tests: per-group event plans as counter series in promtool notation.
import { quote } from './promql';
import { type SimSeries, lastIndexAt } from './prometheus-sim';
import type { SloDefinition } from './types';

/** Events of one step (between two samples) of one group. */
export interface Step {
  readonly total: number;
  readonly bad: number;
}

export interface GroupPlan {
  readonly labels: Readonly<Record<string, string>>;
  /** Events of step k (k ≥ 1, between samples k − 1 and k); the step's midpoint is (k + ½) × interval. */
  readonly step: (k: number) => Step;
  /** Samples written (the series stops after them). */
  readonly samples: number;
}

/** The first step whose midpoint is at or after `t`: an event rate change at `t` starts there. */
export function stepAt(t: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(t / intervalMs - 0.5));
}

export function samplesUntil(t: number, intervalMs: number): number {
  return lastIndexAt(t, intervalMs) + 1;
}

function otherValue(value: string): string {
  return value === 'other' ? 'other-than-other' : 'other';
}

/**
 * The series a group's traffic shows up as, for the SLI kind of `slo`. Every counter starts at ten
 * times the largest step, so rate() never extrapolates towards a zero point (Prometheus 2 and 3 do
 * that differently).
 */
export function seriesForGroup(slo: SloDefinition, plan: GroupPlan, intervalMs: number): SimSeries[] {
  const steps: Step[] = [];
  for (let k = 1; k < plan.samples; k++) steps.push(plan.step(k));
  const base = 10 * Math.max(1, ...steps.map((s) => s.total));
  const totals: number[] = [base];
  const bads: number[] = [base];
  const goods: number[] = [base];
  for (const s of steps) {
    totals.push((totals[totals.length - 1] as number) + s.total);
    bads.push((bads[bads.length - 1] as number) + s.bad);
    goods.push((goods[goods.length - 1] as number) + s.total - s.bad);
  }
  const group = plan.labels;
  const sli = slo.sli;
  const series = (labels: Record<string, string>, values: number[]): SimSeries => ({
    labels,
    values,
    intervalMs,
  });
  if (sli.kind === 'latency') {
    const matchers = { ...(sli.matchers ?? {}), ...group };
    return [
      series({ __name__: `${sli.histogram}_bucket`, ...matchers, le: String(sli.thresholdSeconds) }, goods),
      series({ __name__: `${sli.histogram}_bucket`, ...matchers, le: '+Inf' }, totals),
      series({ __name__: `${sli.histogram}_count`, ...matchers }, totals),
    ];
  }
  const part = sli.bad ?? sli.good;
  if (part === undefined) throw new Error(`SLO "${slo.id}": a ratio SLI needs good or bad`);
  const which = sli.bad !== undefined ? 'bad' : 'good';
  const partValues = sli.bad !== undefined ? bads : goods;
  const restValues = sli.bad !== undefined ? goods : bads;
  const totalM = sli.total.matchers ?? {};
  const partM = part.matchers ?? {};
  for (const name of Object.keys(group)) {
    if (name in totalM || name in partM) {
      throw new Error(
        `SLO "${slo.id}": groupBy label "${name}" is also a matcher, so tests cannot give it two values`,
      );
    }
  }
  if (part.metric !== sli.total.metric) {
    return [
      series({ __name__: sli.total.metric, ...totalM, ...group }, totals),
      series({ __name__: part.metric, ...partM, ...group }, partValues),
    ];
  }
  for (const [name, value] of Object.entries(partM)) {
    if (name in totalM && totalM[name] !== value) {
      throw new Error(
        `SLO "${slo.id}": the ${which} matcher ${name}="${value}" contradicts total's ${name}="${totalM[name]}", so ${which} is no subset of total`,
      );
    }
  }
  const split = Object.keys(partM)
    .sort()
    .find((name) => !(name in totalM));
  if (split === undefined)
    throw new Error(`SLO "${slo.id}": the ${which} selector is not narrower than total`);
  return [
    series({ __name__: part.metric, ...totalM, ...partM, ...group }, partValues),
    series(
      { __name__: part.metric, ...totalM, ...partM, [split]: otherValue(partM[split] as string), ...group },
      restValues,
    ),
  ];
}

export function seriesText(labels: Readonly<Record<string, string>>): string {
  const name = labels['__name__'] as string;
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort();
  if (rest.length === 0) return name;
  return `${name}{${rest.map((k) => `${k}=${quote(labels[k] as string)}`).join(',')}}`;
}

/** promtool's expanding notation, one `a+bxn` token per run of equal increments; `_` at 0 (no sample). */
export function valuesText(values: readonly number[]): string {
  const tokens: string[] = ['_'];
  let i = 0;
  while (i < values.length) {
    const start = values[i] as number;
    if (i === values.length - 1) {
      tokens.push(String(start));
      break;
    }
    const delta = (values[i + 1] as number) - start;
    let j = i + 1;
    while (j + 1 < values.length && (values[j + 1] as number) - (values[j] as number) === delta) j++;
    tokens.push(`${start}+${delta}x${j - i}`);
    i = j + 1;
  }
  return tokens.join(' ');
}
