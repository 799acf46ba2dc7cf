// Validation of an SLO's sli field (counter and histogram selectors, matchers) and of label names.
import { checkUnknownKeys, isRecord, show, type Problems } from './problems';
import type { CounterSelector, SliInput } from './types';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkLabelName(
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

export function checkSli(value: unknown, problems: Problems): SliInput | undefined {
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
