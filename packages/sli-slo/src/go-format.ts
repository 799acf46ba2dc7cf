// Go's `%g` formatting and `humanizePercentage`, as Prometheus expands alert annotation templates.
import type { TemplatePart } from './rules';

/** Exact decimal digits and point position of a positive finite double: value = 0.DIGITS × 10^dp. */
function exactDecimal(x: number): { digits: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const e2 = exponentBits === 0 ? -1074 : exponentBits - 1075;
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mantissa << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    const scaled = (mantissa * 5n ** BigInt(-e2)).toString();
    digits = scaled;
    dp = scaled.length + e2;
  }
  const trimmed = digits.replace(/0+$/, '');
  return { digits: trimmed === '' ? '0' : trimmed, dp };
}

/** Go's `fmt.Sprintf("%.<prec>g", x)`: round half to even on the exact value, trailing zeros dropped. */
export function goFormatG(x: number, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const negative = x < 0;
  let { digits, dp } = exactDecimal(Math.abs(x));
  if (digits.length > prec) {
    const kept = digits.slice(0, prec);
    const rest = digits.slice(prec);
    const half = rest[0] === '5' && /^5$/.test(rest);
    const up =
      rest[0] !== undefined &&
      (rest[0] > '5' || (rest[0] === '5' && !half) || (half && Number(kept[prec - 1]) % 2 === 1));
    let n = BigInt(kept);
    if (up) n += 1n;
    let text = n.toString();
    if (text.length > prec) {
      dp += 1;
      text = text.slice(0, prec);
    }
    digits = text.replace(/0+$/, '') || '0';
  }
  const nd = digits.length;
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  const exp = dp - 1;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const p = Math.min(prec, nd);
    const mantissa = p > 1 ? `${digits[0]}.${digits.slice(1, p)}` : (digits[0] as string);
    out = `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else {
    const p = prec > dp ? nd : prec;
    const decimals = Math.max(p - dp, 0);
    const padded = dp <= 0 ? `${'0'.repeat(1 - dp)}${digits}` : digits.padEnd(dp, '0');
    const intLen = Math.max(dp, 1);
    const fractionDigits = padded.slice(intLen).padEnd(decimals, '0').slice(0, decimals);
    out = decimals > 0 ? `${padded.slice(0, intLen)}.${fractionDigits}` : padded.slice(0, intLen);
  }
  return negative ? `-${out}` : out;
}

/** Prometheus' `humanizePercentage` template function. */
export function humanizePercentage(value: number): string {
  return `${goFormatG(value * 100, 4)}%`;
}

export function expand(
  parts: readonly TemplatePart[],
  value: number,
  labels: Readonly<Record<string, string>>,
): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      if ('label' in p) return labels[p.label] ?? '<no value>';
      return humanizePercentage(value);
    })
    .join('');
}
