// Alert tiers: DEFAULT_TIERS, validation of the tiers field, and the advice for a tier that can never fire.
import { divideDecimal, multiplyDecimal, parseDecimal, subtractDecimal, toDecimalString } from './decimal';
import { formatDuration, parseDuration } from './duration';
import { checkUnknownKeys, isRecord, show, type Problems } from './problems';
import type { AlertTierInput } from './types';

/**
 * The default alert tiers (SRE Workbook table 5-8 plus the 1d/2h ticket Sloth and Grafana ship). For
 * a 30d window their factors are 14.4, 6, 3 and 1; other windows scale (28d: 13.44, 5.6, 2.8,
 * 0.933333333333).
 */
export const DEFAULT_TIERS: readonly AlertTierInput[] = Object.freeze([
  Object.freeze({
    name: 'page-fast',
    severity: 'page',
    shortWindow: '5m',
    longWindow: '1h',
    budgetPercent: 2,
  } as const),
  Object.freeze({
    name: 'page-slow',
    severity: 'page',
    shortWindow: '30m',
    longWindow: '6h',
    budgetPercent: 5,
  } as const),
  Object.freeze({
    name: 'ticket-fast',
    severity: 'ticket',
    shortWindow: '2h',
    longWindow: '1d',
    budgetPercent: 10,
  } as const),
  Object.freeze({
    name: 'ticket-slow',
    severity: 'ticket',
    shortWindow: '6h',
    longWindow: '3d',
    budgetPercent: 10,
  } as const),
]);

const TIER_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const TIER_KEYS = ['name', 'severity', 'shortWindow', 'longWindow', 'budgetPercent', 'for'] as const;
// What defineSlo derives for each tier. Tolerated (and recomputed) in input, like DERIVED_KEYS in define.ts.
const DERIVED_TIER_KEYS = [
  'shortWindowMs',
  'longWindowMs',
  'factor',
  'factorValue',
  'threshold',
  'thresholdValue',
];

export interface TierDraft {
  readonly index: number;
  readonly input: AlertTierInput;
  readonly shortMs: number;
  readonly longMs: number;
  readonly forMs: number | undefined;
}

export function checkTiers(value: unknown, problems: Problems): TierDraft[] {
  if (!Array.isArray(value)) {
    problems.add(
      'tiers',
      `must be an array of alert tiers (or left out for DEFAULT_TIERS), got ${show(value)}`,
    );
    return [];
  }
  const drafts: TierDraft[] = [];
  const names = new Map<string, number>();
  value.forEach((tier: unknown, i) => {
    const at = `tiers[${i}]`;
    if (!isRecord(tier)) {
      problems.add(
        at,
        `must be { name, severity, shortWindow, longWindow, budgetPercent }, got ${show(tier)}`,
      );
      return;
    }
    checkUnknownKeys(tier, TIER_KEYS, `${at}.`, problems, DERIVED_TIER_KEYS);
    const name = tier['name'];
    if (typeof name !== 'string' || !TIER_NAME.test(name) || name.length > 63) {
      problems.add(
        `${at}.name`,
        `${show(name)} must be lower kebab case, e.g. "page-fast" (the slo_tier label)`,
      );
    } else if (names.has(name)) {
      problems.add(
        `${at}.name`,
        `"${name}" is already the name of tiers[${names.get(name)}]; tier names must be unique`,
      );
    } else names.set(name, i);
    if (tier['severity'] !== 'page' && tier['severity'] !== 'ticket') {
      problems.add(`${at}.severity`, `must be "page" or "ticket", got ${show(tier['severity'])}`);
    }
    const shortMs = parseDuration(tier['shortWindow'], `${at}.shortWindow`, problems);
    const longMs = parseDuration(tier['longWindow'], `${at}.longWindow`, problems);
    let ok = shortMs !== undefined && longMs !== undefined;
    if (shortMs !== undefined && longMs !== undefined && shortMs >= longMs) {
      problems.add(
        `${at}.shortWindow`,
        `${show(tier['shortWindow'])} must be shorter than longWindow ${show(tier['longWindow'])} (the Workbook uses 1/12 of it)`,
      );
      ok = false;
    }
    const budget = tier['budgetPercent'];
    if (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0 || budget > 100) {
      problems.add(`${at}.budgetPercent`, `must be a percentage in (0, 100], got ${show(budget)}`);
      ok = false;
    }
    const forMs = tier['for'] !== undefined ? parseDuration(tier['for'], `${at}.for`, problems) : undefined;
    if (tier['for'] !== undefined && forMs === undefined) ok = false;
    if (ok && shortMs !== undefined && longMs !== undefined) {
      drafts.push({ index: i, input: tier as unknown as AlertTierInput, shortMs, longMs, forMs });
    }
  });
  return drafts;
}

/**
 * Why a tier cannot fire and the three ways out, with numbers: the largest budgetPercent that still
 * fires, the longest SLO window, and the smallest objective (all strict bounds).
 */
export function neverFires(
  name: string,
  d: TierDraft,
  factor: string,
  threshold: string,
  errorBudget: string,
  windowMs: number,
): string {
  const budget = parseDecimal(errorBudget);
  const one = parseDecimal(1);
  // threshold = budgetPercent/100 × window/longWindow × budget must stay below 1. Bounds are
  // truncated toward the safe side so following the advice always works.
  const maxPercent = divideDecimal(
    multiplyDecimal(parseDecimal(100), parseDecimal(d.longMs)),
    multiplyDecimal(parseDecimal(windowMs), budget),
    4,
    'toward-zero',
  ).value;
  const maxFactor = divideDecimal(one, budget, 4, 'toward-zero').value;
  const minObjective = subtractDecimal(one, divideDecimal(one, parseDecimal(factor), 4, 'toward-zero').value);
  const maxWindowMs =
    Math.floor((100 * d.longMs) / (d.input.budgetPercent * Number(errorBudget)) / 60_000) * 60_000;
  return (
    `${name} can never fire: its threshold ${factor} × ${errorBudget} = ${threshold} is an error ratio of 100% or more. ` +
    `Use a burn-rate factor below ${toDecimalString(maxFactor)} (budgetPercent below ${toDecimalString(maxPercent)}), ` +
    `an SLO window shorter than ${formatDuration(maxWindowMs)}, or an objective above ${toDecimalString(minObjective)}`
  );
}
