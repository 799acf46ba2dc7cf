// SLO definitions as code: validates an SloInput (every problem at once, with the field and the fix)
// and derives the exact burn-rate factors and thresholds everything else consumes.
import {
  burnRateFactor,
  burnRateThreshold,
  compareDecimal,
  divideDecimal,
  errorBudgetOf,
  parseDecimal,
  toDecimalString,
} from './decimal';
import { checkLabelName, checkSli } from './define-sli';
import { DEFAULT_TIERS, checkTiers, neverFires, type TierDraft } from './define-tiers';
import { formatDuration, parseDuration } from './duration';
import {
  SloDefinitionError,
  checkUnknownKeys,
  isRecord,
  show,
  type Problems,
  type SloProblem,
} from './problems';
import type { AlertTier, SloDefinition, SloInput } from './types';

/** The SLO window when `window` is left out. */
export const DEFAULT_SLO_WINDOW = '30d';

/** `slo_id` values and SLO ids: the same shape as tenant ids. */
export const SLO_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
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
// What defineSlo derives. Tolerated (and recomputed) in input, so a definition can be adjusted by
// spreading it: defineSlo({ ...AVAILABILITY_SLO, objective: 0.995 }).
const DERIVED_KEYS = ['errorBudget', 'windowMs', 'windows'];

const RESERVED_SET: ReadonlySet<string> = new Set(RESERVED_LABELS);

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
