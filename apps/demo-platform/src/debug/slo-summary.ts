// One row per SLO out of the evaluator's snapshot: the numbers a person (the /debug page, the
// `sloStatus` GraphQL query, the load generator's summary) reads to know whether an SLO is healthy.
import type { SloSnapshot, SloStatus } from '@autoweave/sli-slo';

export type SloHealth = 'OK' | 'WARNING' | 'CRITICAL' | 'NO_DATA';

export interface SloSummary {
  id: string;
  description: string;
  objective: number;
  /** The SLO window (e.g. `30d`) the SLI and the budget are computed over. */
  window: string;
  /** good / total over the SLO window, all groups together; null without events. */
  sli: number | null;
  /** 1 − errorRatio / (1 − objective) over the window; null without events, negative when overspent. */
  errorBudgetRemaining: number | null;
  status: SloHealth;
  /** Alert tiers firing now, as `<tier> (<severity>)`, over all groups. */
  firing: string[];
  good: number;
  total: number;
}

/** Below this share of budget left an SLO is WARNING even when no burn-rate alert fires. */
export const LOW_BUDGET = 0.25;

/**
 * CRITICAL when a page-severity tier fires or the budget is spent, WARNING when a ticket tier fires
 * or less than {@link LOW_BUDGET} of the budget is left, NO_DATA without events in the window.
 */
export function summarizeSlo(slo: SloStatus): SloSummary {
  let good = 0;
  let total = 0;
  const firing: string[] = [];
  let page = false;
  let ticket = false;
  for (const group of slo.groups) {
    const window = group.windows.find((w) => w.window === slo.window) ?? group.windows.at(-1);
    if (window !== undefined) {
      good += window.good;
      total += window.total;
    }
    for (const tier of group.alerts) {
      if (!tier.firing) continue;
      if (tier.severity === 'page') page = true;
      else ticket = true;
      const name = `${tier.tier} (${tier.severity})`;
      if (!firing.includes(name)) firing.push(name);
    }
  }
  const sli = total === 0 ? null : good / total;
  const budget = sli === null || slo.errorBudget <= 0 ? null : 1 - (1 - sli) / slo.errorBudget;
  let status: SloHealth = 'OK';
  if (total === 0 && !page && !ticket) status = 'NO_DATA';
  else if (page || (budget !== null && budget <= 0)) status = 'CRITICAL';
  else if (ticket || (budget !== null && budget < LOW_BUDGET)) status = 'WARNING';
  return {
    id: slo.id,
    description: slo.description,
    objective: slo.objective,
    window: slo.window,
    sli,
    errorBudgetRemaining: budget,
    status,
    firing,
    good,
    total,
  };
}

export function summarizeSlos(snapshot: SloSnapshot | undefined): SloSummary[] {
  return snapshot === undefined ? [] : snapshot.slos.map(summarizeSlo);
}
