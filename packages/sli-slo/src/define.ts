// SLO definitions as code: validates an SloInput (every problem at once, with the field and the fix)
// and derives the exact burn-rate factors and thresholds everything else consumes.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import {
  burnRateFactor,
  burnRateThreshold,
  compareDecimal,
  divideDecimal,
  errorBudgetOf,
  multiplyDecimal,
  parseDecimal,
  subtractDecimal,
  toDecimalString,
} from './decimal';
import type { AlertTier, AlertTierInput, CounterSelector, SliInput, SloDefinition, SloInput } from './types';

/** One thing wrong with a definition: where (`objective`, `tiers[1].longWindow`) and what to change. */
export interface SloProblem {
  /** The SLO's id when known (always, for `defineSlos` and catalog checks). */
  readonly sloId?: string;
  /** Field path inside the definition, e.g. `sli.total.metric`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown by `defineSlo`/`defineSlos` with every problem found, each with its path and the fix. */
export class SloDefinitionError extends Error {
  override readonly name = 'SloDefinitionError';
  readonly problems: readonly SloProblem[];
  constructor(problems: readonly SloProblem[]) {
    super(
      `Invalid SLO definition (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems
        .map(formatProblem)
        .join('\n  ')}`,
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/** `"availability" objective: ...` — the one-line form used in error messages and by the CLI. */
export function formatProblem(problem: SloProblem): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  return `${problem.sloId !== undefined ? `"${problem.sloId}" ` : ''}${where}${problem.message}`;
}

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

/** The SLO window when `window` is left out. */
export const DEFAULT_SLO_WINDOW = '30d';

/** `slo_id` values and SLO ids: the same shape as tenant ids. */
export const SLO_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TIER_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Labels the generated rules set themselves; a definition may not group or route on them. */
export const RESERVED_LABELS: readonly string[] = Object.freeze([
  'le',
  'slo_id',
  'slo_service',
  'slo_window',
  'slo_tier',
  'severity',
]);
const ROUTING_RESERVED = new Set([...RESERVED_LABELS, 'alertname']);

const INPUT_KEYS = [
  'id',
  'service',
  'description',
  'objective',
  'window',
  'sli',
  'groupBy',
  'minEvents',
  'labels',
  'runbookUrl',
  'tiers',
] as const;
const TIER_KEYS = ['name', 'severity', 'shortWindow', 'longWindow', 'budgetPercent', 'for'] as const;
// What defineSlo derives. Tolerated (and recomputed) in input, so a definition can be adjusted by
// spreading it: defineSlo({ ...AVAILABILITY_SLO, objective: 0.995 }).
const DERIVED_KEYS = ['errorBudget', 'windowMs', 'windows'];
const DERIVED_TIER_KEYS = [
  'shortWindowMs',
  'longWindowMs',
  'factor',
  'factorValue',
  'threshold',
  'thresholdValue',
];

const UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/**
 * The canonical Prometheus text of a duration in ms, largest units first, weeks and years written as
 * days (`7d`, `365d`): 3_600_000 → `1h`, 5_400_000 → `1h30m`. Recording-rule names embed it
 * (`ratio_rate1h`), so `60m` and `1h` name the same series.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`${ms} is not a whole number of ms`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

type Problems = { add(path: string, message: string): void };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return `a ${typeof value} that cannot be shown`;
  }
}

/** Levenshtein distance, for "did you mean" hints on typos. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The candidate closest to `name` if it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  // A field written without its suffix (`runbook` for `runbookUrl`) is a likely slip too.
  const prefixed = list.find((c) => name.length >= 4 && (c.startsWith(name) || name.startsWith(c)));
  if (prefixed !== undefined) return prefixed;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function checkUnknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  problems: Problems,
  derived: readonly string[] = [],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key) || derived.includes(key)) continue;
    const hint = closest(key, known);
    problems.add(
      `${prefix}${key}`,
      `unknown field${hint !== undefined ? `; did you mean "${hint}"?` : `; known fields: ${known.join(', ')}`}`,
    );
  }
}

function parseDuration(value: unknown, path: string, problems: Problems): number | undefined {
  const ms = parsePrometheusDuration(value);
  if (ms === undefined) {
    problems.add(
      path,
      `${show(value)} is not a Prometheus duration; write e.g. "5m", "1h", "30d" (units d h m s ms, largest first)`,
    );
    return undefined;
  }
  if (ms <= 0) {
    problems.add(path, `${show(value)} is zero; give a positive duration such as "5m"`);
    return undefined;
  }
  return ms;
}

function checkLabelName(
  name: unknown,
  path: string,
  problems: Problems,
  reserved: ReadonlySet<string>,
): void {
  if (typeof name !== 'string' || !LABEL_NAME.test(name)) {
    problems.add(path, `${show(name)} is not a Prometheus label name; use [a-zA-Z_][a-zA-Z0-9_]*`);
  } else if (name.startsWith('__')) {
    problems.add(path, `"${name}" starts with "__", which Prometheus reserves; rename the label`);
  } else if (reserved.has(name)) {
    problems.add(
      path,
      `"${name}" is reserved: the generated rules set it themselves (reserved: ${[...reserved].join(', ')})`,
    );
  }
}

const RESERVED_SET: ReadonlySet<string> = new Set(RESERVED_LABELS);
const NOTHING_RESERVED: ReadonlySet<string> = new Set();

function checkMatchers(
  value: unknown,
  path: string,
  problems: Problems,
): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.add(path, `must be an object of label → value, e.g. { outcome: 'failure' }; got ${show(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [label, v] of Object.entries(value)) {
    // Matchers select source series, so only `le` (picked from thresholdSeconds) is off limits.
    if (label === 'le') {
      problems.add(
        `${path}.le`,
        'remove it: the rules pick the le bucket from thresholdSeconds (and count all buckets for the total)',
      );
    } else checkLabelName(label, `${path}.${label}`, problems, NOTHING_RESERVED);
    if (typeof v !== 'string') {
      problems.add(`${path}.${label}`, `matcher value must be a string, got ${show(v)}`);
    } else out[label] = v;
  }
  return Object.freeze(out);
}

function checkMetricName(
  name: unknown,
  path: string,
  problems: Problems,
  kind: 'counter' | 'histogram',
): void {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    problems.add(path, `${show(name)} is not a Prometheus metric name; use [a-zA-Z_:][a-zA-Z0-9_:]*`);
    return;
  }
  if (kind === 'counter' && !name.endsWith('_total')) {
    problems.add(
      path,
      `counter "${name}" must be named as exposed, ending in "_total" (e.g. "${name.replace(/_(count|sum|bucket)$/, '')}_total")`,
    );
  }
  if (kind === 'histogram') {
    const suffix = /_(bucket|count|sum)$/.exec(name);
    if (suffix !== null) {
      problems.add(
        path,
        `give the histogram's base name without "${suffix[0]}" ("${name.slice(0, -suffix[0].length)}"); the rules add _bucket and _count`,
      );
    } else if (!name.endsWith('_seconds')) {
      problems.add(
        path,
        `latency histogram "${name}" must be in seconds and end in "_seconds" (e.g. "${name}_seconds")`,
      );
    }
  }
}

function checkCounter(value: unknown, path: string, problems: Problems): CounterSelector | undefined {
  if (!isRecord(value)) {
    problems.add(path, `must be { metric: '<name>_total', matchers?: {...} }, got ${show(value)}`);
    return undefined;
  }
  checkUnknownKeys(value, ['metric', 'matchers'], `${path}.`, problems);
  checkMetricName(value['metric'], `${path}.metric`, problems, 'counter');
  const matchers = checkMatchers(value['matchers'], `${path}.matchers`, problems);
  return Object.freeze({
    metric: value['metric'] as string,
    ...(matchers !== undefined ? { matchers } : {}),
  });
}

function sameSelector(a: CounterSelector, b: CounterSelector): boolean {
  if (a.metric !== b.metric) return false;
  const ma = a.matchers ?? {};
  const mb = b.matchers ?? {};
  const keys = Object.keys(ma);
  return keys.length === Object.keys(mb).length && keys.every((k) => mb[k] === ma[k]);
}

function checkSli(value: unknown, problems: Problems): SliInput | undefined {
  if (!isRecord(value)) {
    problems.add('sli', `must be { kind: 'ratio', ... } or { kind: 'latency', ... }; got ${show(value)}`);
    return undefined;
  }
  if (value['kind'] === 'ratio') {
    checkUnknownKeys(value, ['kind', 'total', 'good', 'bad'], 'sli.', problems);
    const total = checkCounter(value['total'], 'sli.total', problems);
    const hasGood = value['good'] !== undefined;
    const hasBad = value['bad'] !== undefined;
    if (hasGood === hasBad) {
      problems.add(
        'sli',
        hasGood
          ? 'give only one of "good" and "bad": the other is total minus it'
          : 'give one of "good" or "bad" besides "total", e.g. bad: { metric, matchers: { outcome: "failure" } }',
      );
    }
    const good = hasGood ? checkCounter(value['good'], 'sli.good', problems) : undefined;
    const bad = hasBad ? checkCounter(value['bad'], 'sli.bad', problems) : undefined;
    const part = good ?? bad;
    if (total !== undefined && part !== undefined && sameSelector(total, part)) {
      problems.add(
        `sli.${hasGood ? 'good' : 'bad'}`,
        `selects the same series as sli.total, so the SLI is always ${hasGood ? '100%' : '0%'}; add matchers (e.g. { outcome: '${hasGood ? 'success' : 'failure'}' })`,
      );
    }
    if (total === undefined) return undefined;
    return Object.freeze({
      kind: 'ratio',
      total,
      ...(good !== undefined ? { good } : {}),
      ...(bad !== undefined ? { bad } : {}),
    });
  }
  if (value['kind'] === 'latency') {
    checkUnknownKeys(value, ['kind', 'histogram', 'thresholdSeconds', 'matchers'], 'sli.', problems);
    checkMetricName(value['histogram'], 'sli.histogram', problems, 'histogram');
    const threshold = value['thresholdSeconds'];
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0) {
      problems.add(
        'sli.thresholdSeconds',
        `must be a finite number of seconds > 0 (80 ms is 0.08), got ${show(threshold)}`,
      );
    }
    const matchers = checkMatchers(value['matchers'], 'sli.matchers', problems);
    return Object.freeze({
      kind: 'latency',
      histogram: value['histogram'] as string,
      thresholdSeconds: threshold as number,
      ...(matchers !== undefined ? { matchers } : {}),
    });
  }
  problems.add('sli.kind', `must be "ratio" or "latency", got ${show(value['kind'])}`);
  return undefined;
}

interface TierDraft {
  readonly index: number;
  readonly input: AlertTierInput;
  readonly shortMs: number;
  readonly longMs: number;
  readonly forMs: number | undefined;
}

function checkTiers(value: unknown, problems: Problems): TierDraft[] {
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

function checkId(value: unknown, problems: Problems): void {
  if (typeof value !== 'string' || !SLO_ID_PATTERN.test(value)) {
    problems.add(
      'id',
      `${show(value)} must match ${SLO_ID_PATTERN.source}: lower case letters, digits and "-", at most 63 characters, e.g. "checkout-availability"`,
    );
  }
}

function checkObjective(value: unknown, problems: Problems): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    const hint =
      typeof value === 'number' && value > 1 && value < 100
        ? `; write a fraction, e.g. ${toDecimalString(divideDecimal(parseDecimal(value), parseDecimal(100)).value)} for ${String(value)}%`
        : ', e.g. 0.999 for 99.9%';
    problems.add('objective', `must be a fraction strictly between 0 and 1, got ${show(value)}${hint}`);
    return false;
  }
  return true;
}

function freezeRecord(value: Record<string, string>): Readonly<Record<string, string>> {
  return Object.freeze({ ...value });
}

function validate(
  input: unknown,
  sloId: string | undefined,
  problems: SloProblem[],
): SloDefinition | undefined {
  const before = problems.length;
  const sink: Problems = {
    add: (path, message) => problems.push({ ...(sloId !== undefined ? { sloId } : {}), path, message }),
  };
  if (!isRecord(input)) {
    sink.add('', `an SLO definition must be an object, got ${show(input)}`);
    return undefined;
  }
  checkUnknownKeys(input, INPUT_KEYS, '', sink, DERIVED_KEYS);
  checkId(input['id'], sink);
  for (const key of ['service', 'description'] as const) {
    const v = input[key];
    if (typeof v !== 'string' || v.trim() === '') {
      sink.add(
        key,
        `must be a non-empty string${key === 'service' ? ' (the slo_service label, e.g. "checkout")' : ' (shown in alert annotations)'}, got ${show(v)}`,
      );
    }
  }
  const objectiveOk = checkObjective(input['objective'], sink);
  const windowText = input['window'] ?? DEFAULT_SLO_WINDOW;
  const windowMs = parseDuration(windowText, 'window', sink);
  const sli = checkSli(input['sli'], sink);

  const groupBy: string[] = [];
  if (input['groupBy'] !== undefined) {
    if (!Array.isArray(input['groupBy'])) {
      sink.add(
        'groupBy',
        `must be an array of label names, e.g. ['tenant_id'], got ${show(input['groupBy'])}`,
      );
    } else {
      input['groupBy'].forEach((label: unknown, i) => {
        checkLabelName(label, `groupBy[${i}]`, sink, RESERVED_SET);
        if (typeof label === 'string') {
          if (groupBy.includes(label)) sink.add(`groupBy[${i}]`, `"${label}" is listed twice; list it once`);
          else groupBy.push(label);
        }
      });
    }
  }

  const minEvents = input['minEvents'] ?? 0;
  if (typeof minEvents !== 'number' || !Number.isSafeInteger(minEvents) || minEvents < 0) {
    sink.add(
      'minEvents',
      `must be a whole number of events >= 0 (0 turns the low-traffic guard off), got ${show(minEvents)}`,
    );
  }

  const labels: Record<string, string> = {};
  if (input['labels'] !== undefined) {
    if (!isRecord(input['labels'])) {
      sink.add(
        'labels',
        `must be an object of routing label → value, e.g. { team: 'platform' }, got ${show(input['labels'])}`,
      );
    } else {
      for (const [name, v] of Object.entries(input['labels'])) {
        checkLabelName(name, `labels.${name}`, sink, ROUTING_RESERVED);
        if (groupBy.includes(name)) {
          sink.add(
            `labels.${name}`,
            `"${name}" is also in groupBy, whose value it would overwrite; rename it`,
          );
        }
        if (typeof v !== 'string' || v === '') {
          sink.add(`labels.${name}`, `must be a non-empty string, got ${show(v)}`);
        } else labels[name] = v;
      }
    }
  }

  const runbookUrl = input['runbookUrl'];
  if (runbookUrl !== undefined && !isHttpUrl(runbookUrl)) {
    sink.add('runbookUrl', `${show(runbookUrl)} must be an absolute http:// or https:// URL`);
  }

  const defaultTiers = input['tiers'] === undefined;
  const drafts = checkTiers(input['tiers'] ?? DEFAULT_TIERS, sink);
  const tierName = (d: TierDraft): string => `${defaultTiers ? 'default tier' : 'tier'} "${d.input.name}"`;
  const longest = drafts.reduce<TierDraft | undefined>(
    (a, d) => (a === undefined || d.longMs > a.longMs ? d : a),
    undefined,
  );
  const windowOk = windowMs !== undefined && (longest === undefined || windowMs >= longest.longMs);
  if (windowMs !== undefined && !windowOk && longest !== undefined) {
    sink.add(
      'window',
      `${show(windowText)} is shorter than the ${longest.input.longWindow} long window of ${tierName(longest)}; ` +
        `use a window of at least ${formatDuration(longest.longMs)}${defaultTiers ? ' or give tiers with shorter windows' : ' or shorten that tier'}`,
    );
  }

  const objective = input['objective'] as number;
  const errorBudget = objectiveOk ? errorBudgetOf(objective) : undefined;
  const tiers: AlertTier[] = [];
  if (errorBudget !== undefined && windowMs !== undefined && windowOk) {
    for (const d of drafts) {
      const { factor } = burnRateFactor(d.input.budgetPercent, windowMs, d.longMs);
      const threshold = burnRateThreshold(factor, errorBudget);
      if (compareDecimal(parseDecimal(threshold), parseDecimal(1)) >= 0) {
        sink.add(
          `tiers[${d.index}]`,
          neverFires(tierName(d), d, factor, threshold, errorBudget, windowMs) +
            (defaultTiers ? '; to change it, give tiers explicitly (start from DEFAULT_TIERS)' : ''),
        );
        continue;
      }
      tiers.push(
        Object.freeze({
          name: d.input.name,
          severity: d.input.severity,
          shortWindow: formatDuration(d.shortMs),
          longWindow: formatDuration(d.longMs),
          shortWindowMs: d.shortMs,
          longWindowMs: d.longMs,
          budgetPercent: d.input.budgetPercent,
          factor,
          factorValue: Number(factor),
          threshold,
          thresholdValue: Number(threshold),
          ...(d.forMs !== undefined ? { for: formatDuration(d.forMs) } : {}),
        }),
      );
    }
  }

  if (problems.length > before || windowMs === undefined || sli === undefined || errorBudget === undefined) {
    return undefined;
  }
  const windowSet = new Set<number>([windowMs]);
  for (const t of tiers) {
    windowSet.add(t.shortWindowMs);
    windowSet.add(t.longWindowMs);
  }
  return Object.freeze({
    id: input['id'] as string,
    service: input['service'] as string,
    description: input['description'] as string,
    objective,
    errorBudget,
    window: formatDuration(windowMs),
    windowMs,
    sli,
    groupBy: Object.freeze(groupBy),
    minEvents: minEvents as number,
    labels: freezeRecord(labels),
    runbookUrl: runbookUrl as string | undefined,
    tiers: Object.freeze(tiers),
    windows: Object.freeze([...windowSet].sort((a, b) => a - b).map(formatDuration)),
  });
}

/**
 * Why a tier cannot fire and the three ways out, with numbers: the largest budgetPercent that still
 * fires, the longest SLO window, and the smallest objective (all strict bounds).
 */
function neverFires(
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

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Validates one SLO and derives its error budget, tier factors and thresholds (exact decimals).
 * Throws {@link SloDefinitionError} listing every problem, each with its field path and the fix.
 * Durations are normalized (`60m` → `1h`) because recording-rule names embed them.
 */
export function defineSlo(input: SloInput): SloDefinition {
  const problems: SloProblem[] = [];
  const id = isRecord(input) && typeof input['id'] === 'string' ? input['id'] : undefined;
  const slo = validate(input, id, problems);
  if (slo === undefined) throw new SloDefinitionError(problems);
  return slo;
}

/**
 * Validates several SLOs at once (every problem of every SLO, plus duplicate ids) and returns them
 * frozen, in order. Throws {@link SloDefinitionError}.
 */
export function defineSlos(inputs: readonly SloInput[]): readonly SloDefinition[] {
  if (!Array.isArray(inputs)) {
    throw new SloDefinitionError([
      { path: '', message: `expected an array of SLO definitions, got ${show(inputs)}` },
    ]);
  }
  const problems: SloProblem[] = [];
  const out: SloDefinition[] = [];
  const seen = new Map<string, number>();
  inputs.forEach((input: unknown, i) => {
    const id = isRecord(input) && typeof input['id'] === 'string' ? input['id'] : `[${i}]`;
    if (isRecord(input) && typeof input['id'] === 'string') {
      const first = seen.get(input['id']);
      if (first !== undefined) {
        problems.push({
          sloId: id,
          path: 'id',
          message: `is also the id of SLO [${first}]; ids must be unique (they are the slo_id label)`,
        });
      } else seen.set(input['id'], i);
    }
    const slo = validate(input, id, problems);
    if (slo !== undefined) out.push(slo);
  });
  if (problems.length > 0) throw new SloDefinitionError(problems);
  return Object.freeze(out);
}
