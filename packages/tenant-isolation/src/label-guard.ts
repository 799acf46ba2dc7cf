// Bounds the values a label (Prometheus label, Loki stream label) can take, so one tenant or one
// hostile caller cannot explode the number of series. Shared by every signal package.

/** The value a label takes once its guard is full or the value is not allowed. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

export interface LabelGuardOptions {
  /** Values always accepted; with `allowOnly`, the only ones. */
  readonly allow?: Iterable<string>;
  /** Accept only the `allow` values; everything else becomes the overflow value. Default false. */
  readonly allowOnly?: boolean;
  /**
   * Admits a value not in `allow` (up to `cap`) only when this returns true, e.g. "is a registered
   * tenant", so a list that changes at runtime needs no new guard. Overrides `allowOnly`. A throw counts as false.
   */
  readonly accept?: (value: string) => boolean;
  /** Distinct values accepted besides `allow` before overflowing. Default 100. */
  readonly cap?: number;
  /** Replacement for rejected values. Default `__overflow__`. */
  readonly overflowValue?: string;
  /** Longest accepted value in characters; longer values are rejected. Default 128. */
  readonly maxLength?: number;
}

export interface LabelGuard {
  /** The value to use for `value`: itself when accepted, otherwise the overflow value. Never throws. */
  bound(value: unknown): string;
  /** How many values were replaced by the overflow value so far. */
  readonly rejected: number;
  /** Distinct values currently accepted (allow-list included). */
  readonly size: number;
}

export function createLabelGuard(options: LabelGuardOptions = {}): LabelGuard {
  const cap = options.cap ?? 100;
  const maxLength = options.maxLength ?? 128;
  const overflowValue = options.overflowValue ?? OVERFLOW_LABEL_VALUE;
  if (!Number.isInteger(cap) || cap < 0)
    throw new RangeError(`LabelGuard cap must be a non-negative integer, got ${cap}`);
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`LabelGuard maxLength must be a positive integer, got ${maxLength}`);
  }
  const allowed = new Set(options.allow ?? []);
  const seen = new Set<string>();
  const allowOnly = options.allowOnly ?? false;
  const accept = options.accept;
  const admits = (value: string): boolean => {
    if (accept === undefined) return !allowOnly;
    try {
      return accept(value) === true;
    } catch {
      return false;
    }
  };
  let rejected = 0;

  const reject = (): string => {
    rejected++;
    return overflowValue;
  };

  return {
    bound(value: unknown): string {
      if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return reject();
      if (allowed.has(value) || seen.has(value)) return value;
      if (seen.size >= cap || !admits(value)) return reject();
      seen.add(value);
      return value;
    },
    get rejected() {
      return rejected;
    },
    get size() {
      return allowed.size + seen.size;
    },
  };
}
