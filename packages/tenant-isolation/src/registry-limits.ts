// Plans and rate limits: the built-in defaults, named plans, and per-tenant overrides merged over them.
import type { TenantLimits } from './policy-types';
import { isRecord, kind, shown, unknownFields, describeList } from './registry-problems';

/**
 * Limits for tenants with no plan and no overrides, sized for a small tenant: 50 requests/s,
 * 1000 spans/s, 500 log lines/s and 100 new metric series per minute. Bursts default to one
 * second's (or minute's) worth in the rate limiter.
 */
export const DEFAULT_TENANT_LIMITS: TenantLimits = Object.freeze({
  requestsPerSecond: 50,
  spansPerSecond: 1000,
  logLinesPerSecond: 500,
  newSeriesPerMinute: 100,
});

const LIMIT_FIELDS = [
  'requestsPerSecond',
  'requestBurst',
  'spansPerSecond',
  'spanBurst',
  'logLinesPerSecond',
  'logLineBurst',
  'newSeriesPerMinute',
  'newSeriesBurst',
] as const;
const BURST_FIELDS: ReadonlySet<string> = new Set([
  'requestBurst',
  'spanBurst',
  'logLineBurst',
  'newSeriesBurst',
]);

const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The `plans` map of a config, each plan filled in from {@link DEFAULT_TENANT_LIMITS}. */
export function checkPlans(raw: unknown, problems: string[]): Map<string, TenantLimits> {
  const plans = new Map<string, TenantLimits>();
  if (raw === undefined) return plans;
  if (!isRecord(raw)) {
    problems.push(`plans: expected a map of plan name to limits, got ${kind(raw)}`);
    return plans;
  }
  for (const name of Object.keys(raw)) {
    const path = `plans.${name}`;
    if (!PLAN_NAME.test(name)) {
      problems.push(
        `plans: ${shown(name)} is not a plan name; use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit`,
      );
      continue;
    }
    const limits = checkLimits(raw[name], path, problems);
    plans.set(name, Object.freeze({ ...DEFAULT_TENANT_LIMITS, ...limits }));
  }
  return plans;
}

function checkLimits(raw: unknown, path: string, problems: string[]): Partial<TenantLimits> {
  if (!isRecord(raw)) {
    problems.push(`${path}: expected limits such as { requestsPerSecond: 100 }, got ${kind(raw)}`);
    return {};
  }
  unknownFields(raw, LIMIT_FIELDS, path, problems);
  const limits: Partial<Record<(typeof LIMIT_FIELDS)[number], number>> = {};
  for (const field of LIMIT_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    const min = BURST_FIELDS.has(field) ? 1 : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value < min) {
      problems.push(
        `${path}.${field}: ${shown(value)} must be a ${BURST_FIELDS.has(field) ? 'finite number of at least 1 (a bucket smaller than one token allows nothing)' : 'positive finite number'}`,
      );
      continue;
    }
    limits[field] = value;
  }
  return limits;
}

/** The plan a tenant is on (its own, else the default) and its limits: defaults, then the plan, then its overrides. */
export function checkTenantLimits(
  raw: { readonly plan?: unknown; readonly limits?: unknown },
  path: string,
  plans: ReadonlyMap<string, TenantLimits>,
  defaultPlan: string | undefined,
  problems: string[],
): { plan: string | undefined; limits: TenantLimits } {
  let plan: string | undefined;
  if (raw.plan !== undefined) {
    if (typeof raw.plan !== 'string' || !plans.has(raw.plan)) {
      problems.push(`${path}.plan: ${unknownPlan(raw.plan, plans)}`);
    } else {
      plan = raw.plan;
    }
  } else {
    plan = defaultPlan;
  }
  const overrides = raw.limits === undefined ? {} : checkLimits(raw.limits, `${path}.limits`, problems);
  const planLimits = plan === undefined ? DEFAULT_TENANT_LIMITS : (plans.get(plan) ?? DEFAULT_TENANT_LIMITS);
  return { plan, limits: Object.freeze({ ...planLimits, ...overrides }) };
}

export function unknownPlan(value: unknown, plans: ReadonlyMap<string, unknown>): string {
  return `unknown plan ${shown(value)}; defined plans: ${plans.size === 0 ? 'none (define it under "plans")' : describeList([...plans.keys()])}`;
}
