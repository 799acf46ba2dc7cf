// Per-tenant token buckets for requests and telemetry (spans, log lines, new series), so one tenant
// over its plan is slowed or sampled down alone, in bounded memory whatever the number of tenants.
import { OVERFLOW_LABEL_VALUE } from './label-guard';
import type { AuditSink, BudgetKind, TelemetryBudget, TenantLimits } from './policy-types';
import type { PressureSource } from './pressure';
import { DEFAULT_TENANT_LIMITS } from './registry';
import { isValidTenantId } from './tenant-id';

/** The key of the bucket set shared by tenants that get no own entry (table full, or an invalid id). */
export const OVERFLOW_TENANT = OVERFLOW_LABEL_VALUE;

/** The answer for a request: allowed, or refused with the whole seconds to put in `Retry-After`. */
export type RateLimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface TenantLimiterOptions {
  /**
   * The tenant's limits, usually `(id) => registry.get(id)?.limits`. Missing fields and an
   * undefined result fall back to `defaultLimits`. Called once when a tenant is first seen and again
   * after `refreshLimits`; only with valid tenant ids. May throw: the defaults apply and it is counted.
   */
  readonly limitsFor?: (tenantId: string) => Partial<TenantLimits> | undefined;
  /**
   * Limits for tenants `limitsFor` knows nothing about, and for the overflow bucket set. Default: the
   * registry's `DEFAULT_TENANT_LIMITS`.
   */
  readonly defaultLimits?: TenantLimits;
  /** Tenants with an own bucket set at most; the others share the overflow set. Default 10,000. */
  readonly maxTenants?: number;
  /** A tenant with no activity for this long is forgotten (its buckets would be full again anyway). Default 10 min. */
  readonly idleMs?: number;
  /** Clock in ms. Default `performance.now`. */
  readonly now?: () => number;
  /** While it says so, telemetry budgets (rate and burst) are multiplied by `telemetryPressureFactor`. */
  readonly pressure?: PressureSource;
  /** Multiplier for telemetry budgets under pressure, in (0, 1]. Default 0.5. */
  readonly telemetryPressureFactor?: number;
  /** Also scale request limits under pressure. Default false (shedding requests is the app's call). */
  readonly pressureAffectsRequests?: boolean;
  /** Receives coalesced `rate_limit.exceeded` entries. */
  readonly audit?: AuditSink;
  /** At most one `rate_limit.exceeded` entry per tenant per this many ms. Default 60,000. */
  readonly auditIntervalMs?: number;
  /** Which refusals are audited. Default `['requests']` (telemetry drops are operational, see the metrics). */
  readonly auditKinds?: readonly BudgetKind[];
  /** How often idle tenants are evicted and pending audit counts flushed (unref'd timer). Default 60,000. */
  readonly sweepIntervalMs?: number;
  /** Cap for `retryAfterSeconds` (also used when a limit is 0). Default 3600. */
  readonly maxRetryAfterSeconds?: number;
}

/** Counts per budget kind. */
export type BudgetCounts = Readonly<Record<BudgetKind, number>>;

export interface TenantBudgetStats {
  /** The tenant id, or `__overflow__` for the shared bucket set. */
  readonly tenant: string;
  /** Units taken (charged units included). */
  readonly admitted: BudgetCounts;
  /** Requests refused and telemetry units dropped. */
  readonly rejected: BudgetCounts;
}

export interface TenantLimiterStats {
  /** Tenants with an own bucket set now (the overflow set not included). */
  readonly tenants: number;
  readonly maxTenants: number;
  /** Idle tenants forgotten so far. */
  readonly evictions: number;
  /** Calls served by the overflow set because the table was full. */
  readonly overflowed: number;
  /** Calls with a tenant id that is not valid (served by the overflow set). */
  readonly invalidTenantIds: number;
  /** Times `limitsFor` threw or returned an unusable value (the defaults were used). */
  readonly limitErrors: number;
  readonly underPressure: boolean;
  /** The factor telemetry budgets are multiplied by now (1 when not under pressure). */
  readonly telemetryFactor: number;
  /** Since creation, evicted tenants included. */
  readonly totals: { readonly admitted: BudgetCounts; readonly rejected: BudgetCounts };
  /** Every tracked tenant, and the overflow set once used. */
  readonly byTenant: readonly TenantBudgetStats[];
}

export interface TenantLimiter extends TelemetryBudget {
  /** Takes one request token. Refused: answer 429 with `Retry-After: retryAfterSeconds`. Never throws. */
  checkRequest(tenant: string): RateLimitDecision;
  /**
   * Takes `n` units of a telemetry (or request) budget, all or nothing. False: drop or sample out the
   * telemetry; the drop is counted for the tenant. Never throws for any tenant value.
   */
  tryTake(tenant: string, kind: BudgetKind, n?: number): boolean;
  /**
   * Takes `n` units even when there are none, down to a debt of one burst, for telemetry that must be
   * kept once something was admitted (child spans of a sampled trace). Later `tryTake`s pay the debt.
   */
  charge(tenant: string, kind: BudgetKind, n?: number): void;
  /** Whether telemetry budgets are reduced now (the override, else the pressure source). */
  underPressure(): boolean;
  /** Forces pressure on or off; `undefined` returns to the pressure source. */
  setPressure(on: boolean | undefined): void;
  /** Reads limits again: for `tenant` now, or for every tenant at its next use. Buckets keep their tokens. */
  refreshLimits(tenant?: string): void;
  /** Drops a tenant's buckets and counters (pending audit counts are flushed first). */
  forget(tenant: string): void;
  stats(): TenantLimiterStats;
  /** Stops the sweep timer and flushes pending audit counts. The limiter keeps answering. */
  close(): void;
}

const KINDS: readonly BudgetKind[] = ['requests', 'spans', 'logs', 'series'];
const REQUESTS = 0;
const MAX_UNITS = 2 ** 31;

/** One token bucket. Rates are per ms; `…P` are the values while under pressure. */
class Bucket {
  rate = 0;
  burst = 0;
  rateP = 0;
  burstP = 0;
  tokens = 0;
  at = 0;
  admitted = 0;
  rejected = 0;
  /** Refusals not yet reported to the audit sink. */
  pending = 0;
}

class TenantState {
  readonly b: [Bucket, Bucket, Bucket, Bucket] = [new Bucket(), new Bucket(), new Bucket(), new Bucket()];
  lastSeen = 0;
  gen = -1;
  auditAt = Number.NEGATIVE_INFINITY;
  pendingSince = 0;
  pending = 0;
  constructor(
    readonly id: string,
    readonly shared: boolean,
  ) {}
}

const ALLOWED: RateLimitDecision = Object.freeze({ allowed: true });
const RETRY_CACHE_MAX = 120;
const RETRY: readonly RateLimitDecision[] = Array.from({ length: RETRY_CACHE_MAX + 1 }, (_, i) =>
  Object.freeze({ allowed: false as const, retryAfterSeconds: i }),
);

/**
 * Creates the per-tenant limiter. Buckets refill lazily from the clock (no per-tenant timers); a
 * check is a Map lookup, a few float operations and a clock read, and allocates nothing.
 *
 * Memory: at most `maxTenants` bucket sets plus one shared overflow set. Idle tenants are evicted
 * by a sweep that runs every `sweepIntervalMs` (timer, and on a new tenant when due) and, when the
 * table is full, as soon as the oldest entry can have become idle (at most once a second).
 */
export function createTenantLimiter(options: TenantLimiterOptions = {}): TenantLimiter {
  const defaults = validateLimits('defaultLimits', options.defaultLimits ?? DEFAULT_TENANT_LIMITS);
  const limitsFor = options.limitsFor;
  const maxTenants = integer('maxTenants', options.maxTenants ?? 10_000, 1);
  const idleMs = positive('idleMs', options.idleMs ?? 600_000);
  const now = options.now ?? (() => performance.now());
  const pressure = options.pressure;
  const factor = options.telemetryPressureFactor ?? 0.5;
  if (typeof factor !== 'number' || !(factor > 0 && factor <= 1)) {
    throw new RangeError(
      `createTenantLimiter: telemetryPressureFactor must be a number in (0, 1], got ${String(factor)}`,
    );
  }
  const scaleRequests = options.pressureAffectsRequests ?? false;
  const audit = options.audit;
  const auditIntervalMs = nonNegative('auditIntervalMs', options.auditIntervalMs ?? 60_000);
  const audited = [false, false, false, false];
  for (const kind of options.auditKinds ?? ['requests']) audited[kindIndex(kind)] = true;
  const sweepIntervalMs = positive('sweepIntervalMs', options.sweepIntervalMs ?? 60_000);
  const maxRetry = integer('maxRetryAfterSeconds', options.maxRetryAfterSeconds ?? 3600, 1);
  const fullSweepGapMs = Math.min(1000, idleMs);

  const table = new Map<string, TenantState>();
  let overflow: TenantState | undefined;
  let generation = 0;
  let override: boolean | undefined;
  let evictions = 0;
  let overflowed = 0;
  let invalidIds = 0;
  let limitErrors = 0;
  const evictedAdmitted = [0, 0, 0, 0];
  const evictedRejected = [0, 0, 0, 0];
  let lastSweepAt = now();
  let nextSweepAt = lastSweepAt + sweepIntervalMs;
  let nextEvictableAt = Number.NEGATIVE_INFINITY;

  const pressured = (): boolean => {
    if (override !== undefined) return override;
    if (pressure === undefined) return false;
    try {
      return pressure.underPressure() === true;
    } catch {
      return false;
    }
  };

  /** Brings a bucket up to `t`; returns its rate per ms in force (for Retry-After). */
  const refill = (bucket: Bucket, t: number, scaled: boolean): number => {
    const rate = scaled ? bucket.rateP : bucket.rate;
    const cap = scaled ? bucket.burstP : bucket.burst;
    const dt = t - bucket.at;
    if (dt > 0) bucket.tokens += dt * rate;
    // A clock that went back restarts the refill from now instead of freezing the bucket.
    bucket.at = t;
    if (bucket.tokens > cap) bucket.tokens = cap;
    return rate;
  };

  const configure = (state: TenantState, t: number): void => {
    const limits = state.shared ? defaults : resolve(state.id);
    const p = pressured();
    const rates = [
      limits.requestsPerSecond / 1000,
      limits.spansPerSecond / 1000,
      limits.logLinesPerSecond / 1000,
      limits.newSeriesPerMinute / 60_000,
    ];
    const bursts = [limits.requestBurst, limits.spanBurst, limits.logLineBurst, limits.newSeriesBurst];
    const perWindow = [
      limits.requestsPerSecond,
      limits.spansPerSecond,
      limits.logLinesPerSecond,
      limits.newSeriesPerMinute,
    ];
    const first = state.gen === -1;
    for (let i = 0; i < 4; i++) {
      const bucket = state.b[i]!;
      if (!first) refill(bucket, t, p && (i !== REQUESTS || scaleRequests));
      const window = perWindow[i]!;
      const burst = bursts[i] ?? (window > 0 ? Math.max(1, window) : 0);
      const scales = i !== REQUESTS || scaleRequests;
      bucket.rate = rates[i]!;
      bucket.burst = burst;
      bucket.rateP = scales ? bucket.rate * factor : bucket.rate;
      // Under pressure a bucket still holds at least one token, or a burst of 1 would admit nothing.
      bucket.burstP = scales ? Math.max(Math.min(1, burst), burst * factor) : burst;
      if (first) {
        bucket.tokens = burst;
        bucket.at = t;
      } else if (bucket.tokens > burst) {
        bucket.tokens = burst;
      }
    }
    state.gen = generation;
  };

  const resolve = (id: string): TenantLimits => {
    let given: Partial<TenantLimits> | undefined;
    try {
      given = limitsFor?.(id);
    } catch {
      limitErrors++;
      return defaults;
    }
    if (given === undefined) return defaults;
    if (given === null || typeof given !== 'object') {
      limitErrors++;
      return defaults;
    }
    const { limits, errors } = mergeLimits(given, defaults);
    limitErrors += errors;
    return limits;
  };

  const overflowState = (t: number): TenantState => {
    if (overflow === undefined) {
      overflow = new TenantState(OVERFLOW_TENANT, true);
      configure(overflow, t);
    }
    return overflow;
  };

  const admit = (tenant: unknown, t: number): TenantState => {
    if (typeof tenant !== 'string' || tenant.length > 63 || !isValidTenantId(tenant)) {
      invalidIds++;
      return overflowState(t);
    }
    if (t >= nextSweepAt) sweep(t);
    if (table.size >= maxTenants && t >= nextEvictableAt && t - lastSweepAt >= fullSweepGapMs) sweep(t);
    if (table.size >= maxTenants) {
      overflowed++;
      return overflowState(t);
    }
    const state = new TenantState(tenant, false);
    configure(state, t);
    state.lastSeen = t;
    table.set(tenant, state);
    return state;
  };

  const flushAudit = (state: TenantState, t: number): void => {
    if (state.pending === 0 || audit === undefined) return;
    const byKind: Partial<Record<BudgetKind, number>> = {};
    for (let i = 0; i < 4; i++) {
      const bucket = state.b[i]!;
      if (bucket.pending > 0) byKind[KINDS[i]!] = bucket.pending;
      bucket.pending = 0;
    }
    const data = {
      rejected: state.pending,
      byKind,
      windowSeconds: Math.round(t - state.pendingSince) / 1000,
      ...(state.shared ? { bucket: OVERFLOW_TENANT } : {}),
    };
    state.pending = 0;
    state.auditAt = t;
    try {
      audit.record(
        state.shared
          ? { type: 'rate_limit.exceeded', data }
          : { type: 'rate_limit.exceeded', tenant: state.id, data },
      );
    } catch {
      // The sink promises not to throw; if it does anyway, the limiter must still answer.
    }
  };

  const noteRejection = (
    state: TenantState,
    bucket: Bucket,
    kind: number,
    units: number,
    t: number,
  ): void => {
    bucket.rejected += units;
    if (!audited[kind] || audit === undefined) return;
    if (state.pending === 0) state.pendingSince = t;
    state.pending++;
    bucket.pending++;
    if (t - state.auditAt >= auditIntervalMs) flushAudit(state, t);
  };

  const evict = (id: string, state: TenantState, t: number): void => {
    if (state.pending > 0) flushAudit(state, t);
    for (let i = 0; i < 4; i++) {
      evictedAdmitted[i]! += state.b[i]!.admitted;
      evictedRejected[i]! += state.b[i]!.rejected;
    }
    table.delete(id);
  };

  function sweep(t: number): void {
    lastSweepAt = t;
    nextSweepAt = t + sweepIntervalMs;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [id, state] of table) {
      if (t - state.lastSeen >= idleMs) {
        evict(id, state, t);
        evictions++;
        continue;
      }
      if (state.lastSeen < oldest) oldest = state.lastSeen;
      if (state.pending > 0 && t - state.auditAt >= auditIntervalMs) flushAudit(state, t);
    }
    if (overflow !== undefined && overflow.pending > 0 && t - overflow.auditAt >= auditIntervalMs) {
      flushAudit(overflow, t);
    }
    nextEvictableAt = oldest + idleMs;
  }

  /** The state for `tenant` at time `t`, its limits current. The hot path is one Map lookup. */
  const stateFor = (tenant: string, t: number): TenantState => {
    let state = table.get(tenant);
    if (state === undefined) state = admit(tenant, t);
    else state.lastSeen = t;
    if (state.gen !== generation) configure(state, t);
    return state;
  };

  const take = (tenant: string, kind: BudgetKind, n: number | undefined, force: boolean): boolean => {
    const k = kindIndex(kind);
    // NaN and n ≤ 0 take nothing; a huge n is clamped so counters stay finite.
    const units = n === undefined ? 1 : n > 0 ? Math.min(n, MAX_UNITS) : 0;
    const t = now();
    const state = stateFor(tenant, t);
    const bucket = state.b[k]!;
    refill(bucket, t, (k !== REQUESTS || scaleRequests) && pressured());
    if (bucket.tokens >= units) {
      bucket.tokens -= units;
      bucket.admitted += units;
      return true;
    }
    if (force) {
      const floor = -bucket.burst;
      bucket.tokens = Math.max(floor, bucket.tokens - units);
      bucket.admitted += units;
      return true;
    }
    noteRejection(state, bucket, k, units, t);
    return false;
  };

  const timer = setInterval(() => {
    try {
      sweep(now());
    } catch {
      // Only an injected clock can throw here; the next insert or stats() sweeps instead.
    }
  }, sweepIntervalMs);
  timer.unref();

  return {
    checkRequest(tenant: string): RateLimitDecision {
      const t = now();
      const state = stateFor(tenant, t);
      const bucket = state.b[REQUESTS];
      const rate = refill(bucket, t, scaleRequests && pressured());
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        bucket.admitted++;
        return ALLOWED;
      }
      noteRejection(state, bucket, REQUESTS, 1, t);
      const seconds = rate > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000)) : maxRetry;
      const capped = Math.min(seconds, maxRetry);
      return capped <= RETRY_CACHE_MAX ? RETRY[capped]! : { allowed: false, retryAfterSeconds: capped };
    },
    tryTake: (tenant, kind, n) => take(tenant, kind, n, false),
    charge(tenant, kind, n) {
      take(tenant, kind, n, true);
    },
    underPressure: pressured,
    setPressure(on) {
      override = on;
    },
    refreshLimits(tenant?: string) {
      if (tenant === undefined) {
        generation++;
        return;
      }
      const state = table.get(tenant);
      if (state !== undefined) configure(state, now());
    },
    forget(tenant: string) {
      const state = table.get(tenant);
      if (state !== undefined) evict(tenant, state, now());
    },
    stats(): TenantLimiterStats {
      const t = now();
      if (t >= nextSweepAt) sweep(t);
      const admitted = [...evictedAdmitted];
      const rejected = [...evictedRejected];
      const byTenant: TenantBudgetStats[] = [];
      const add = (state: TenantState) => {
        const a = state.b.map((b) => b.admitted);
        const r = state.b.map((b) => b.rejected);
        for (let i = 0; i < 4; i++) {
          admitted[i]! += a[i]!;
          rejected[i]! += r[i]!;
        }
        byTenant.push({ tenant: state.id, admitted: toCounts(a), rejected: toCounts(r) });
      };
      for (const state of table.values()) add(state);
      if (overflow !== undefined) add(overflow);
      const p = pressured();
      return {
        tenants: table.size,
        maxTenants,
        evictions,
        overflowed,
        invalidTenantIds: invalidIds,
        limitErrors,
        underPressure: p,
        telemetryFactor: p ? factor : 1,
        totals: { admitted: toCounts(admitted), rejected: toCounts(rejected) },
        byTenant,
      };
    },
    close() {
      clearInterval(timer);
      const t = now();
      for (const state of table.values()) flushAudit(state, t);
      if (overflow !== undefined) flushAudit(overflow, t);
    },
  };
}

function kindIndex(kind: BudgetKind): number {
  switch (kind) {
    case 'requests':
      return 0;
    case 'spans':
      return 1;
    case 'logs':
      return 2;
    case 'series':
      return 3;
    default:
      throw new TypeError(
        `tenant limiter: unknown budget kind ${JSON.stringify(String(kind))}; use requests, spans, logs or series`,
      );
  }
}

function toCounts(values: readonly number[]): BudgetCounts {
  return { requests: values[0] ?? 0, spans: values[1] ?? 0, logs: values[2] ?? 0, series: values[3] ?? 0 };
}

const RATE_FIELDS = [
  'requestsPerSecond',
  'spansPerSecond',
  'logLinesPerSecond',
  'newSeriesPerMinute',
] as const;
const BURST_FIELDS = ['requestBurst', 'spanBurst', 'logLineBurst', 'newSeriesBurst'] as const;

const isRate = (v: unknown): v is number => typeof v === 'number' && v >= 0; // NaN fails; Infinity = no limit
const isBurst = (v: unknown): v is number => typeof v === 'number' && v >= 1 && Number.isFinite(v);

/** Runtime limits: each usable field of `given`, the defaults for the rest; counts unusable fields. */
function mergeLimits(
  given: Partial<TenantLimits>,
  defaults: TenantLimits,
): { limits: TenantLimits; errors: number } {
  const out: Record<string, number> = {};
  let errors = 0;
  for (let i = 0; i < RATE_FIELDS.length; i++) {
    const rateField = RATE_FIELDS[i]!;
    const burstField = BURST_FIELDS[i]!;
    const rate = given[rateField];
    const burst = given[burstField];
    const ownRate = isRate(rate);
    if (!ownRate && rate !== undefined) errors++;
    if (!isBurst(burst) && burst !== undefined) errors++;
    out[rateField] = ownRate ? rate : defaults[rateField];
    // A default burst belongs to the default rate: with an own rate, no burst means one window's worth.
    const chosenBurst = isBurst(burst) ? burst : ownRate ? undefined : defaults[burstField];
    if (chosenBurst !== undefined) out[burstField] = chosenBurst;
  }
  return { limits: out as unknown as TenantLimits, errors };
}

/** Checks configured limits; throws naming the field and what to change. */
function validateLimits(where: string, limits: TenantLimits): TenantLimits {
  if (limits === null || typeof limits !== 'object') {
    throw new TypeError(`createTenantLimiter: ${where} must be an object of limits, got ${String(limits)}`);
  }
  for (const field of RATE_FIELDS) {
    if (!isRate(limits[field])) {
      throw new RangeError(
        `createTenantLimiter: ${where}.${field} must be a number ≥ 0 (Infinity for no limit), got ${String(limits[field])}`,
      );
    }
  }
  for (const field of BURST_FIELDS) {
    const v = limits[field];
    if (v !== undefined && !isBurst(v)) {
      throw new RangeError(
        `createTenantLimiter: ${where}.${field} must be a finite number ≥ 1 (or left out for one window's worth), got ${String(v)}`,
      );
    }
  }
  return limits;
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`createTenantLimiter: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `createTenantLimiter: ${name} must be a finite number > 0 (ms), got ${String(value)}`,
    );
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `createTenantLimiter: ${name} must be a finite number ≥ 0 (ms), got ${String(value)}`,
    );
  }
  return value;
}
