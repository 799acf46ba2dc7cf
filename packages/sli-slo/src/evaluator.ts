// In-process SLO evaluation: bounded per-window good/total counts per SLO and group, the SLI, burn
// rate and error budget per window, and multi-window multi-burn-rate alert states computed with the
// same math as the generated Prometheus rules, with events when an alert fires or resolves.
import {
  OVERFLOW_LABEL_VALUE,
  createLabelGuard,
  parsePrometheusDuration,
  type LabelGuard,
} from '@autoweave/tenant-isolation';
import type { SloDefinition } from './types';
import { DEFAULT_BUCKETS_PER_WINDOW, WindowCounts, planWindows, type WindowPlan } from './window-counts';

import type {
  SloLabels,
  SloAlertEvent,
  SloAlertListener,
  SloWindowStatus,
  SloTierStatus,
  SloGroupStatus,
  SloStatus,
  SloEvaluatorOptions,
  SloRecorder,
  SloEvaluator,
} from './evaluator-types';

interface TierPlan {
  readonly name: string;
  readonly severity: 'page' | 'ticket';
  readonly shortWindow: string;
  readonly longWindow: string;
  readonly short: number;
  readonly long: number;
  readonly factor: number;
  readonly threshold: number;
}

interface Group {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: WindowCounts;
  /** Per tier: ms since the epoch when it started firing, NaN while not firing. */
  readonly firingSince: Float64Array;
}

type GroupNode = Map<string, GroupNode | Group>;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** The evaluation state of one SLO. */
class SloState {
  readonly def: SloDefinition;
  readonly plan: WindowPlan;
  readonly windowNames: readonly string[];
  readonly tiers: readonly TierPlan[];
  readonly sloWindow: number;
  readonly budget: number;
  readonly groupBy: readonly string[];
  readonly groups: Group[] = [];
  overflowedEvents = 0;
  private readonly guards: readonly LabelGuard[];
  private readonly root: GroupNode = new Map();
  private readonly single: Group | undefined;
  private readonly maxGroups: number;
  private readonly isLatency: boolean;
  private readonly thresholdSeconds: number;

  constructor(def: SloDefinition, maxGroups: number, bucketsPerWindow: number, now: number) {
    this.def = def;
    this.maxGroups = maxGroups;
    const byMs = new Map<number, string>();
    const windowMs = (text: unknown, where: string): number => {
      const ms = parsePrometheusDuration(text);
      if (ms === undefined || ms <= 0 || !Number.isSafeInteger(ms)) {
        throw new TypeError(
          `SLO "${def.id}": ${where} ${JSON.stringify(text)} is not a Prometheus duration; build definitions with defineSlo`,
        );
      }
      if (!byMs.has(ms)) byMs.set(ms, String(text));
      return ms;
    };
    // `windows` lists every window in canonical form; tiers may spell the same one differently.
    for (const w of def.windows ?? []) windowMs(w, 'window');
    const sloWindowMs = windowMs(def.window, 'window');
    for (const t of def.tiers) {
      windowMs(t.shortWindow, `tier "${t.name}" shortWindow`);
      windowMs(t.longWindow, `tier "${t.name}" longWindow`);
    }
    const sorted = [...byMs.keys()].sort((a, b) => a - b);
    this.plan = planWindows(sorted, bucketsPerWindow);
    this.windowNames = sorted.map((ms) => byMs.get(ms) as string);
    const index = (ms: number): number => sorted.indexOf(ms);
    this.sloWindow = index(sloWindowMs);
    if (!(def.objective > 0 && def.objective < 1)) {
      throw new RangeError(`SLO "${def.id}": objective must be in (0, 1), got ${String(def.objective)}`);
    }
    const budget = Number(def.errorBudget);
    this.budget = Number.isFinite(budget) && budget > 0 && budget < 1 ? budget : 1 - def.objective;
    this.tiers = def.tiers.map((t) => {
      if (!Number.isFinite(t.thresholdValue) || !Number.isFinite(t.factorValue)) {
        throw new TypeError(
          `SLO "${def.id}": tier "${t.name}" has no numeric factorValue/thresholdValue; build definitions with defineSlo`,
        );
      }
      return {
        name: t.name,
        severity: t.severity,
        shortWindow: byMs.get(parsePrometheusDuration(t.shortWindow) as number) as string,
        longWindow: byMs.get(parsePrometheusDuration(t.longWindow) as number) as string,
        short: index(parsePrometheusDuration(t.shortWindow) as number),
        long: index(parsePrometheusDuration(t.longWindow) as number),
        factor: t.factorValue,
        threshold: t.thresholdValue,
      };
    });
    this.isLatency = def.sli.kind === 'latency';
    this.thresholdSeconds = def.sli.kind === 'latency' ? def.sli.thresholdSeconds : Number.NaN;
    this.groupBy = [...(def.groupBy ?? [])];
    this.guards = this.groupBy.map(() => createLabelGuard({ cap: maxGroups }));
    this.single = this.groupBy.length === 0 ? this.newGroup(NO_LABELS, now) : undefined;
  }

  /** Good/bad of a latency observation, or undefined when it is not one. */
  latencyGood(seconds: unknown): boolean | undefined {
    if (!this.isLatency || typeof seconds !== 'number' || !(seconds >= 0) || seconds === Infinity) {
      return undefined;
    }
    return seconds <= this.thresholdSeconds;
  }

  get latency(): boolean {
    return this.isLatency;
  }

  /** The group of `labels`: found through one map per `groupBy` label, created (bounded) when new. */
  groupOf(labels: unknown, now: number): Group {
    if (this.single !== undefined) return this.single;
    const values = typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>) : {};
    let node: GroupNode | Group | undefined = this.root;
    for (let i = 0; i < this.groupBy.length && node !== undefined; i++) {
      const raw = values[this.groupBy[i] as string];
      const key = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
      node = key === undefined ? undefined : (node as GroupNode).get(key);
    }
    return node !== undefined ? (node as Group) : this.admit(values, now);
  }

  /** Slow path: bound each value, then find or create the group (or fold it into the overflow group). */
  private admit(values: Record<string, unknown>, now: number): Group {
    let replaced = false;
    const bounded = this.groupBy.map((name, i) => {
      const raw = values[name];
      const value = (this.guards[i] as LabelGuard).bound(typeof raw === 'number' ? String(raw) : raw);
      if (value === OVERFLOW_LABEL_VALUE && raw !== OVERFLOW_LABEL_VALUE) replaced = true;
      return value;
    });
    let group = this.find(bounded);
    if (group === undefined) {
      if (this.groups.length >= this.maxGroups) {
        replaced = true;
        const overflow = this.groupBy.map(() => OVERFLOW_LABEL_VALUE);
        group = this.find(overflow) ?? this.insert(overflow, now);
      } else {
        group = this.insert(bounded, now);
      }
    }
    if (replaced) this.overflowedEvents++;
    return group;
  }

  private find(values: readonly string[]): Group | undefined {
    let node: GroupNode | Group | undefined = this.root;
    for (const v of values) node = node === undefined ? undefined : (node as GroupNode).get(v);
    return node as Group | undefined;
  }

  private insert(values: readonly string[], now: number): Group {
    const labels: Record<string, string> = {};
    this.groupBy.forEach((name, i) => (labels[name] = values[i] as string));
    const group = this.newGroup(Object.freeze(labels), now);
    let node = this.root;
    values.forEach((v, i) => {
      if (i === values.length - 1) {
        node.set(v, group);
        return;
      }
      let next = node.get(v) as GroupNode | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(v, next);
      }
      node = next;
    });
    return group;
  }

  private newGroup(labels: Readonly<Record<string, string>>, now: number): Group {
    const group: Group = {
      labels,
      counts: new WindowCounts(this.plan, now),
      firingSince: new Float64Array(this.tiers.length).fill(Number.NaN),
    };
    this.groups.push(group);
    return group;
  }
}

const ratio = (bad: number, total: number): number | null => (total > 0 ? bad / total : null);

/**
 * Creates an evaluator for `slos`. Recording is O(1) and allocation-free for a known group; memory is
 * bounded by SLOs × groups × windows × `bucketsPerWindow`, whatever the event count or window length.
 */
export function createSloEvaluator(options: SloEvaluatorOptions): SloEvaluator {
  const now = options.now ?? Date.now;
  const maxGroups = options.maxGroups ?? 1000;
  const intervalMs = options.intervalMs ?? 10_000;
  const bucketsPerWindow = options.bucketsPerWindow ?? DEFAULT_BUCKETS_PER_WINDOW;
  if (!Number.isInteger(maxGroups) || maxGroups < 1) {
    throw new RangeError(`createSloEvaluator: maxGroups must be an integer ≥ 1, got ${String(maxGroups)}`);
  }
  if (!(intervalMs >= 0) || intervalMs === Infinity) {
    throw new RangeError(
      `createSloEvaluator: intervalMs must be ≥ 0 ms (0 = no timer), got ${String(intervalMs)}`,
    );
  }
  const given: unknown = options.slos;
  if (!Array.isArray(given)) {
    throw new TypeError('createSloEvaluator: slos must be an array of definitions from defineSlo');
  }
  const started = now();
  const states = new Map<string, SloState>();
  for (const def of options.slos) {
    if (states.has(def.id)) {
      throw new Error(`createSloEvaluator: SLO id "${def.id}" is given twice; ids must be unique`);
    }
    states.set(def.id, new SloState(def, maxGroups, bucketsPerWindow, started));
  }
  const slos = Object.freeze([...options.slos]);

  const dropped = { unknownSlo: 0, invalidValue: 0, wrongKind: 0 };
  let listenerErrors = 0;
  const listeners = new Set<SloAlertListener>();
  if (options.onAlertChange !== undefined) listeners.add(options.onAlertChange);

  const add = (group: Group, good: number, total: number): void => {
    group.counts.add(now(), good, total);
  };

  /** The group of `labels`; undefined (counted as invalid) when reading them throws (a hostile getter). */
  const groupOrDrop = (state: SloState, labels: unknown, t: number): Group | undefined => {
    try {
      return state.groupOf(labels, t);
    } catch {
      dropped.invalidValue++;
      return undefined;
    }
  };

  const record = (sloId: string, good: boolean, labels?: SloLabels): void => {
    const state = states.get(sloId);
    if (state === undefined) {
      dropped.unknownSlo++;
      return;
    }
    if (typeof good !== 'boolean') {
      dropped.invalidValue++;
      return;
    }
    const t = now();
    groupOrDrop(state, labels, t)?.counts.add(t, good ? 1 : 0, 1);
  };

  const recordLatency = (sloId: string, seconds: number, labels?: SloLabels): void => {
    const state = states.get(sloId);
    if (state === undefined) {
      dropped.unknownSlo++;
      return;
    }
    if (!state.latency) {
      dropped.wrongKind++;
      return;
    }
    const good = state.latencyGood(seconds);
    if (good === undefined) {
      dropped.invalidValue++;
      return;
    }
    const t = now();
    groupOrDrop(state, labels, t)?.counts.add(t, good ? 1 : 0, 1);
  };

  const validMany = (good: unknown, total: unknown): boolean =>
    typeof good === 'number' && typeof total === 'number' && good >= 0 && total >= good && total < Infinity;

  const recordMany = (sloId: string, good: number, total: number, labels?: SloLabels): void => {
    const state = states.get(sloId);
    if (state === undefined) {
      dropped.unknownSlo++;
      return;
    }
    if (!validMany(good, total)) {
      dropped.invalidValue++;
      return;
    }
    if (total === 0) return;
    const t = now();
    groupOrDrop(state, labels, t)?.counts.add(t, good, total);
  };

  const bind = (sloId: string, labels?: SloLabels): SloRecorder => {
    const state = states.get(sloId);
    if (state === undefined) {
      const unknown = (): void => {
        dropped.unknownSlo++;
      };
      return { record: unknown, recordLatency: unknown, recordMany: unknown };
    }
    let group: Group | undefined;
    try {
      group = state.groupOf(labels, now());
    } catch {
      group = undefined; // counted on each call below, like the unbound calls
    }
    if (group === undefined) {
      const invalid = (): void => {
        dropped.invalidValue++;
      };
      return { record: invalid, recordLatency: invalid, recordMany: invalid };
    }
    return {
      record(good) {
        if (typeof good !== 'boolean') dropped.invalidValue++;
        else add(group, good ? 1 : 0, 1);
      },
      recordLatency(seconds) {
        if (!state.latency) {
          dropped.wrongKind++;
          return;
        }
        const good = state.latencyGood(seconds);
        if (good === undefined) dropped.invalidValue++;
        else add(group, good ? 1 : 0, 1);
      },
      recordMany(good, total) {
        if (!validMany(good, total)) dropped.invalidValue++;
        else if (total > 0) add(group, good, total);
      },
    };
  };

  const emit = (events: readonly SloAlertEvent[]): void => {
    for (const event of events) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch {
          listenerErrors++;
        }
      }
    }
  };

  /** Evaluates every tier of every group at `at`; builds the statuses only when asked to. */
  const run = (at: number, build: boolean): SloStatus[] => {
    const events: SloAlertEvent[] = [];
    const statuses: SloStatus[] = [];
    for (const state of states.values()) {
      const { def, tiers, budget, windowNames } = state;
      const buf = new Float64Array(2 * windowNames.length);
      const groups: SloGroupStatus[] = [];
      for (const group of state.groups) {
        group.counts.read(at, buf);
        const errorRatioOf = (w: number): number | null =>
          ratio((buf[2 * w + 1] as number) - (buf[2 * w] as number), buf[2 * w + 1] as number);
        const burnOf = (w: number): number => (errorRatioOf(w) ?? 0) / budget;
        const alerts: SloTierStatus[] = [];
        tiers.forEach((tier, i) => {
          const shortErr = errorRatioOf(tier.short);
          const longErr = errorRatioOf(tier.long);
          const longEvents = buf[2 * tier.long + 1] as number;
          const firing =
            shortErr !== null &&
            longErr !== null &&
            shortErr > tier.threshold &&
            longErr > tier.threshold &&
            (def.minEvents > 0 ? longEvents >= def.minEvents : true);
          const wasSince = group.firingSince[i] as number;
          const was = !Number.isNaN(wasSince);
          if (firing !== was) {
            group.firingSince[i] = firing ? at : Number.NaN;
            events.push(
              Object.freeze({
                sloId: def.id,
                service: def.service,
                labels: group.labels,
                routing: def.labels,
                tier: tier.name,
                severity: tier.severity,
                state: firing ? 'firing' : 'resolved',
                shortWindow: tier.shortWindow,
                longWindow: tier.longWindow,
                shortErrorRatio: shortErr,
                longErrorRatio: longErr,
                shortBurnRate: burnOf(tier.short),
                longBurnRate: burnOf(tier.long),
                factor: tier.factor,
                threshold: tier.threshold,
                since: firing ? at : wasSince,
                at,
              } as const),
            );
          }
          if (!build) return;
          const since = group.firingSince[i] as number;
          alerts.push({
            tier: tier.name,
            severity: tier.severity,
            shortWindow: tier.shortWindow,
            longWindow: tier.longWindow,
            factor: tier.factor,
            threshold: tier.threshold,
            firing,
            shortErrorRatio: shortErr,
            longErrorRatio: longErr,
            shortBurnRate: burnOf(tier.short),
            longBurnRate: burnOf(tier.long),
            longWindowEvents: longEvents,
            since: Number.isNaN(since) ? null : since,
          });
        });
        if (!build) continue;
        const windows = windowNames.map((window, w): SloWindowStatus => {
          const good = buf[2 * w] as number;
          const total = buf[2 * w + 1] as number;
          return {
            window,
            good,
            total,
            sli: ratio(good, total),
            errorRatio: errorRatioOf(w),
            burnRate: burnOf(w),
          };
        });
        groups.push({
          labels: group.labels,
          windows,
          errorBudgetRemaining: 1 - burnOf(state.sloWindow),
          alerts,
        });
      }
      if (!build) continue;
      statuses.push({
        id: def.id,
        service: def.service,
        description: def.description,
        sliKind: def.sli.kind,
        objective: def.objective,
        errorBudget: budget,
        window: windowNames[state.sloWindow] as string,
        groupBy: state.groupBy,
        groups,
        overflowedEvents: state.overflowedEvents,
      });
    }
    emit(events);
    return statuses;
  };

  const evaluate = (): void => {
    run(now(), false);
  };

  const timer =
    intervalMs > 0
      ? setInterval(() => {
          try {
            evaluate();
          } catch {
            // a broken clock must not take the process down; the next snapshot shows the state
          }
        }, intervalMs)
      : undefined;
  timer?.unref();

  const subscribe = (listener: SloAlertListener): (() => void) => {
    if (typeof listener !== 'function') {
      throw new TypeError('SloEvaluator: an alert listener must be a function');
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  return {
    slos,
    record,
    recordLatency,
    recordMany,
    bind,
    evaluate,
    snapshot() {
      const evaluatedAt = now();
      const statuses = run(evaluatedAt, true);
      return {
        evaluatedAt,
        slos: statuses,
        dropped: { ...dropped },
        listenerErrors,
      };
    },
    on(event, listener) {
      if (event !== 'alert') {
        throw new TypeError(`SloEvaluator.on: the only event is 'alert', got ${JSON.stringify(event)}`);
      }
      return subscribe(listener);
    },
    subscribe,
    close() {
      if (timer !== undefined) clearInterval(timer);
      listeners.clear();
    },
  };
}
