// Exact decimal arithmetic (scaled BigInt) for objectives, burn-rate factors and thresholds, so the
// generated rules say `0.0144` and never `0.014400000000000001`.

/** A decimal number `coefficient / 10^scale`, normalized: no trailing zeros in the coefficient unless it is 0. */
export interface Decimal {
  readonly coefficient: bigint;
  readonly scale: number;
}

/** Significant digits kept when a quotient does not terminate (e.g. a 28d window over a 3d tier). */
export const DIVISION_SIGNIFICANT_DIGITS = 12;

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const TEN = 10n;

function normalize(coefficient: bigint, scale: number): Decimal {
  if (coefficient === 0n) return { coefficient: 0n, scale: 0 };
  let c = coefficient;
  let s = scale;
  while (c % TEN === 0n) {
    c /= TEN;
    s--;
  }
  // Negative scales are written out as integers: 1e3 is stored as 1000 with scale 0.
  if (s < 0) {
    c *= TEN ** BigInt(-s);
    s = 0;
  }
  return { coefficient: c, scale: s };
}

/**
 * Reads a decimal from its text (`"0.999"`, `"1e-7"`) or from a number, which is read through its
 * shortest round-trip string (`0.999` → `"0.999"`, not the binary value 0.99899999999999999911...).
 * Throws a RangeError for anything else (NaN, Infinity, `"abc"`).
 */
export function parseDecimal(value: string | number): Decimal {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`${value} is not a finite number`);
  }
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL_TEXT.exec(text);
  if (match === null || `${match[2] ?? ''}${match[3] ?? ''}` === '') {
    throw new RangeError(`${JSON.stringify(value)} is not a decimal number`);
  }
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = BigInt(`${whole}${fraction}` || '0');
  return normalize(sign === '-' ? -digits : digits, fraction.length - Number(exponent));
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [
    a.coefficient * TEN ** BigInt(scale - a.scale),
    b.coefficient * TEN ** BigInt(scale - b.scale),
    scale,
  ];
}

/** a + b, exactly. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize(x + y, scale);
}

/** a − b, exactly. */
export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return normalize(x - y, scale);
}

/** a × b, exactly. */
export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return normalize(a.coefficient * b.coefficient, a.scale + b.scale);
}

/** −1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** How a non-terminating quotient is rounded: half away from zero, or truncated toward zero. */
export type Rounding = 'half-up' | 'toward-zero';

/** The result of a division: exact when the quotient terminates, else rounded. */
export interface Quotient {
  readonly value: Decimal;
  /** False when the quotient does not terminate and `value` was rounded to `significantDigits`. */
  readonly exact: boolean;
}

/**
 * a ÷ b. Exact when the reduced denominator has no prime factors but 2 and 5; otherwise rounded to
 * `significantDigits` (default {@link DIVISION_SIGNIFICANT_DIGITS}, half away from zero) and marked
 * `exact: false`.
 */
export function divideDecimal(
  a: Decimal,
  b: Decimal,
  significantDigits: number = DIVISION_SIGNIFICANT_DIGITS,
  rounding: Rounding = 'half-up',
): Quotient {
  if (b.coefficient === 0n) throw new RangeError('division by zero');
  if (!Number.isInteger(significantDigits) || significantDigits < 1) {
    throw new RangeError(`significantDigits must be a positive integer, got ${significantDigits}`);
  }
  // a/b = (ca × 10^sb) / (cb × 10^sa) as a reduced fraction p/q with q > 0.
  let p = a.coefficient * TEN ** BigInt(b.scale);
  let q = b.coefficient * TEN ** BigInt(a.scale);
  if (q < 0n) {
    p = -p;
    q = -q;
  }
  const g = gcd(p, q);
  if (g > 1n) {
    p /= g;
    q /= g;
  }
  if (p === 0n) return { value: normalize(0n, 0), exact: true };
  // Terminating iff q = 2^i × 5^j; then q divides 10^max(i, j).
  let rest = q;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) {
    rest /= 2n;
    twos++;
  }
  while (rest % 5n === 0n) {
    rest /= 5n;
    fives++;
  }
  if (rest === 1n) {
    const k = Math.max(twos, fives);
    return { value: normalize(p * (TEN ** BigInt(k) / q), k), exact: true };
  }
  // Scale so that the integer part of |p/q| × 10^scale has exactly `significantDigits` digits.
  const negative = p < 0n;
  const abs = negative ? -p : p;
  const magnitude = digitCount(abs) - digitCount(q); // |p/q| is in [10^(m-1), 10^(m+1))
  let scale = significantDigits - magnitude;
  if (digitCount(scaleUp(abs, scale) / q) > significantDigits) scale--;
  if (digitCount(scaleUp(abs, scale) / q) < significantDigits) scale++;
  const numerator = scaleUp(abs, scale);
  let rounded = numerator / q;
  if (rounding === 'half-up' && (numerator % q) * 2n >= q) rounded++;
  return { value: normalize(negative ? -rounded : rounded, scale), exact: false };
}

function scaleUp(value: bigint, scale: number): bigint {
  return scale >= 0 ? value * TEN ** BigInt(scale) : value / TEN ** BigInt(-scale);
}

function digitCount(value: bigint): number {
  return (value < 0n ? -value : value).toString().length;
}

/**
 * The shortest exact text of a decimal, never in exponent form and without trailing zeros:
 * `"0.0144"`, `"14.4"`, `"1"`, `"0"`. Valid as a PromQL and YAML number.
 */
export function toDecimalString(value: Decimal): string {
  const { coefficient, scale } = normalize(value.coefficient, value.scale);
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString();
  let text: string;
  if (scale === 0) text = digits;
  else if (digits.length > scale) {
    text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  } else text = `0.${'0'.repeat(scale - digits.length)}${digits}`;
  return negative ? `-${text}` : text;
}

/** The double nearest to the decimal (what `Number(toDecimalString(value))` gives). */
export function toNumber(value: Decimal): number {
  return Number(toDecimalString(value));
}

/** `1 − objective` as exact decimal text: `errorBudgetOf(0.999)` → `"0.001"`. */
export function errorBudgetOf(objective: number | string): string {
  return toDecimalString(subtractDecimal(parseDecimal(1), parseDecimal(objective)));
}

/** A burn-rate factor as exact decimal text, and whether it had to be rounded. */
export interface BurnRateFactor {
  readonly factor: string;
  readonly exact: boolean;
}

/**
 * The burn-rate factor of an alert tier: `budgetPercent / 100 × window / longWindow` (Sloth, SRE
 * Workbook). 2% over 1h of a 30d window → `"14.4"`; 10% over 3d of 28d → `"0.933333333333"` (rounded
 * to {@link DIVISION_SIGNIFICANT_DIGITS} significant digits, `exact: false`).
 */
export function burnRateFactor(
  budgetPercent: number | string,
  windowMs: number,
  longWindowMs: number,
): BurnRateFactor {
  const { value, exact } = divideDecimal(
    multiplyDecimal(parseDecimal(budgetPercent), parseDecimal(windowMs)),
    multiplyDecimal(parseDecimal(100), parseDecimal(longWindowMs)),
  );
  return { factor: toDecimalString(value), exact };
}

/**
 * The error-ratio threshold of a tier, `factor × errorBudget`, exactly: `("14.4", "0.001")` →
 * `"0.0144"`. Taken from the (possibly rounded) factor text so that `ratio > threshold` and
 * `ratio / budget > factor` agree.
 */
export function burnRateThreshold(factor: string, errorBudget: string): string {
  return toDecimalString(multiplyDecimal(parseDecimal(factor), parseDecimal(errorBudget)));
}
