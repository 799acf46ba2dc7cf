// Prometheus durations: the canonical text rule names embed, and the checked parse of a duration field.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { show, type Problems } from './problems';

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

export function parseDuration(value: unknown, path: string, problems: Problems): number | undefined {
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
