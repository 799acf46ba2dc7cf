// Per-metric series storage shared by counters, gauges and histograms. Series are found through one
// Map per declared label, keyed by the bounded label value in declaration order: no label sorting,
// no key strings built, no objects allocated once a series exists. A raw value found in a level's
// Map was accepted by that label's guard before (guards never forget a value they accepted), so it
// is used as is; anything else goes through the guard, which counts rejections.
import {
  NO_TENANT_LABEL_VALUE,
  OVERFLOW_LABEL_VALUE,
  TENANT_LABEL,
  createLabelGuard,
  currentTenant,
  isValidTenantId,
  type LabelGuard,
  type TelemetryBudget,
} from '@autoweave/tenant-isolation';
import type { LabelBound } from './types';

/** What a series table reports through its instrument. */
export interface SeriesTableOptions {
  readonly metric: string;
  readonly labelNames: readonly string[];
  readonly bounds: Readonly<Record<string, LabelBound | undefined>>;
  readonly labelValueCap: number;
  readonly tenantBound: LabelBound | undefined;
  /** Counts a label value replaced by `__overflow__`. */
  readonly onRejected: (metric: string, label: string, count: number) => void;
  /** Admits each new series of a tenant; absent: no budget. */
  readonly tenantBudget?: Pick<TelemetryBudget, 'tryTake'> | undefined;
  /** Counts an observation dropped because its tenant had no budget for a new series. */
  readonly onBudgetDrop?: (metric: string) => void;
}

function boundOf(
  name: string,
  bounds: Readonly<Record<string, LabelBound | undefined>>,
  tenantBound: LabelBound | undefined,
): LabelBound {
  return bounds[name] ?? (name === TENANT_LABEL ? tenantBound : undefined) ?? {};
}

/** The guard of one label: its own bound, else the handle's tenant bound for `tenant_id`, else the cap. */
export function labelGuardFor(
  name: string,
  bounds: Readonly<Record<string, LabelBound | undefined>>,
  tenantBound: LabelBound | undefined,
  labelValueCap: number,
): LabelGuard {
  const bound = boundOf(name, bounds, tenantBound);
  return createLabelGuard({
    ...(bound.allow !== undefined ? { allow: bound.allow } : {}),
    ...(bound.overflowValue !== undefined ? { overflowValue: bound.overflowValue } : {}),
    ...(bound.accept !== undefined ? { accept: bound.accept } : {}),
    allowOnly: bound.allowOnly ?? false,
    cap: bound.cap ?? labelValueCap,
  });
}

type Level<S> = Map<string, Level<S> | S>;

export class SeriesTable<S> {
  private readonly names: readonly string[];
  private readonly guards: readonly LabelGuard[];
  /** Per label, the value its guard gives rejected values: a raw value equal to it must be re-counted. */
  private readonly overflows: readonly string[];
  /** Position of `tenant_id` among the labels when a tenant budget applies, else -1. */
  private readonly budgetIndex: number;
  private root: Level<S> | S | undefined;
  private readonly scratch: string[];
  /** Every series, in creation order (the exposition order). */
  private all: S[] = [];
  /** Increases on `reset()`, so bound series handles know to look their series up again. */
  generation = 0;

  constructor(
    private readonly options: SeriesTableOptions,
    /** Creates the storage of one series from its bounded labels (declared order). */
    private readonly create: (labels: Readonly<Record<string, string>>) => S,
  ) {
    this.names = [...options.labelNames];
    this.guards = this.names.map((name) =>
      labelGuardFor(name, options.bounds, options.tenantBound, options.labelValueCap),
    );
    this.overflows = this.names.map(
      (name) => boundOf(name, options.bounds, options.tenantBound).overflowValue ?? OVERFLOW_LABEL_VALUE,
    );
    this.budgetIndex = options.tenantBudget === undefined ? -1 : this.names.indexOf(TENANT_LABEL);
    this.scratch = this.names.map(() => '');
    this.root = this.names.length === 0 ? undefined : new Map();
  }

  /** The series for caller-supplied labels (anything; never throws on bad input). */
  lookup(labels: unknown): S {
    const names = this.names;
    const n = names.length;
    if (n === 0) return (this.root as S | undefined) ?? this.createRootless();
    const source = (typeof labels === 'object' && labels !== null ? labels : EMPTY) as Record<
      string,
      unknown
    >;
    let level = this.root as Level<S>;
    for (let i = 0; i < n; i++) {
      const raw = source[names[i] as string];
      let next = typeof raw === 'string' && raw !== this.overflows[i] ? level.get(raw) : undefined;
      let value = raw as string;
      if (next === undefined) {
        value = this.bind(i, raw);
        next = level.get(value);
      }
      if (next === undefined) return this.createFrom(level, i, value, source);
      this.scratch[i] = value;
      if (i === n - 1) return next as S;
      level = next as Level<S>;
    }
    /* istanbul ignore next: the loop always returns */
    throw new Error('unreachable');
  }

  /** All series, in creation order. */
  series(): readonly S[] {
    return this.all;
  }

  /** Forgets every series (prom-client's `registry.resetMetrics()`). Guards keep what they accepted. */
  reset(): void {
    this.root = this.names.length === 0 ? undefined : new Map();
    this.all = [];
    this.generation++;
  }

  private createRootless(): S {
    const s = this.create({});
    this.root = s;
    this.all.push(s);
    return s;
  }

  /** Creates the missing levels from `level` (label `i`, bounded `value`) down to the new series. */
  private createFrom(level: Level<S>, i: number, value: string, source: Record<string, unknown>): S {
    const names = this.names;
    this.scratch[i] = value;
    for (let j = i + 1; j < names.length; j++) this.scratch[j] = this.bind(j, source[names[j] as string]);
    const labels: Record<string, string> = {};
    names.forEach((name, j) => {
      labels[name] = this.scratch[j] as string;
    });
    const s = this.create(labels);
    if (!this.admit(this.scratch[this.budgetIndex])) return s;
    for (let j = i; j < names.length - 1; j++) {
      const child: Level<S> = new Map();
      level.set(this.scratch[j] as string, child);
      level = child;
    }
    level.set(this.scratch[names.length - 1] as string, s);
    this.all.push(s);
    return s;
  }

  /**
   * Whether a new series of `tenant` may be kept. A refused one is handed back detached: the
   * observation lands in it and is gone, and the drop is counted.
   */
  private admit(tenant: string | undefined): boolean {
    if (this.budgetIndex < 0 || tenant === undefined || tenant === this.overflows[this.budgetIndex])
      return true;
    if (!isValidTenantId(tenant)) return true;
    let admitted: boolean;
    try {
      admitted = this.options.tenantBudget?.tryTake(tenant, 'series') ?? true;
    } catch {
      admitted = true;
    }
    if (!admitted) this.options.onBudgetDrop?.(this.options.metric);
    return admitted;
  }

  /** The bounded value of label `i` for a raw value; counts a rejection. Never throws. */
  private bind(i: number, raw: unknown): string {
    const name = this.names[i] as string;
    const guard = this.guards[i] as LabelGuard;
    const isTenant = name === TENANT_LABEL;
    if (isTenant && (raw === undefined || raw === '')) {
      // Outside any tenant: its own value, not the overflow bucket, and no rejection counted.
      raw = currentTenant();
      if (raw === undefined) return NO_TENANT_LABEL_VALUE;
    }
    if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
    // An invalid tenant id is as hostile as any other value: it goes to the overflow bucket.
    if (isTenant && typeof raw === 'string' && !isValidTenantId(raw)) raw = undefined;
    const before = guard.rejected;
    const value = guard.bound(raw);
    const rejected = guard.rejected - before;
    if (rejected > 0) this.options.onRejected(this.options.metric, name, rejected);
    return value;
  }
}

const EMPTY: Record<string, unknown> = Object.freeze({});
