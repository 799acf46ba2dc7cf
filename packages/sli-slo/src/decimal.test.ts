import {
  addDecimal,
  burnRateFactor,
  burnRateThreshold,
  compareDecimal,
  divideDecimal,
  errorBudgetOf,
  multiplyDecimal,
  parseDecimal,
  subtractDecimal,
  toDecimalString,
  toNumber,
} from './decimal';

const d = parseDecimal;
const s = toDecimalString;
const H = 3_600_000;
const D = 24 * H;

describe('decimal text', () => {
  it('prints the shortest exact form, never an exponent or trailing zeros', () => {
    expect(s(d('0.0144'))).toBe('0.0144');
    expect(s(d('14.40'))).toBe('14.4');
    expect(s(d('1.000'))).toBe('1');
    expect(s(d('000.5'))).toBe('0.5');
    expect(s(d('-0.05'))).toBe('-0.05');
    expect(s(d('0'))).toBe('0');
    expect(s(d('-0.0'))).toBe('0');
    expect(s(d('1e-7'))).toBe('0.0000001');
    expect(s(d('2.5E+3'))).toBe('2500');
    expect(s(d('.5'))).toBe('0.5');
    expect(s(d('5.'))).toBe('5');
  });

  it('reads numbers through their shortest round-trip text, not their binary value', () => {
    expect(s(d(0.999))).toBe('0.999');
    expect(s(d(0.1 + 0.2))).toBe('0.30000000000000004');
    expect(s(d(1e21))).toBe('1000000000000000000000');
    expect(s(d(5e-324))).toBe(`0.${'0'.repeat(323)}5`);
    expect(toNumber(d(0.95))).toBe(0.95);
  });

  it('rejects what is not a finite decimal', () => {
    for (const bad of [NaN, Infinity, -Infinity]) expect(() => d(bad)).toThrow('not a finite number');
    for (const bad of ['', '.', 'abc', '1..2', '0x10', '1e', '- 1', 'Infinity']) {
      expect(() => d(bad)).toThrow('not a decimal number');
    }
  });
});

describe('decimal arithmetic', () => {
  it('subtracts without float noise: 1 − objective is the error budget as written', () => {
    expect(1 - 0.999).not.toBe(0.001); // what floats give: 0.0010000000000000009
    expect(errorBudgetOf(0.999)).toBe('0.001');
    expect(errorBudgetOf(0.95)).toBe('0.05');
    expect(errorBudgetOf(0.99)).toBe('0.01');
    expect(errorBudgetOf(0.99999)).toBe('0.00001');
    expect(errorBudgetOf('0.9995')).toBe('0.0005');
    expect(s(subtractDecimal(d('0.1'), d('0.25')))).toBe('-0.15');
  });

  it('adds, multiplies and compares exactly', () => {
    expect(s(addDecimal(d('0.1'), d('0.2')))).toBe('0.3');
    expect(s(multiplyDecimal(d('14.4'), d('0.001')))).toBe('0.0144');
    expect(s(multiplyDecimal(d('-2.5'), d('0.4')))).toBe('-1');
    expect(compareDecimal(d('0.0144'), d('0.01440'))).toBe(0);
    expect(compareDecimal(d('1'), d('0.9999999999999999999'))).toBe(1);
    expect(compareDecimal(d('-3'), d('2'))).toBe(-1);
  });

  it('undoes an addition exactly for any pair of decimals', () => {
    // Deterministic pseudo-random decimals with up to 18 fractional digits.
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const a = d(`${next() % 1000}.${String(next()).padStart(9, '0')}${next() % 1000}`);
      const b = d(`-${next() % 10}.${String(next()).padStart(12, '0')}`);
      expect(s(subtractDecimal(addDecimal(a, b), b))).toBe(s(a));
      expect(compareDecimal(addDecimal(a, b), a)).toBe(b.coefficient === 0n ? 0 : -1);
    }
  });

  it('divides exactly when the quotient terminates', () => {
    expect(divideDecimal(d(1), d(8))).toEqual({ value: d('0.125'), exact: true });
    expect(divideDecimal(d('0.0144'), d('0.001'))).toEqual({ value: d('14.4'), exact: true });
    expect(divideDecimal(d(-3), d('0.25'))).toEqual({ value: d(-12), exact: true });
    expect(divideDecimal(d(0), d(7))).toEqual({ value: d(0), exact: true });
  });

  it('rounds a non-terminating quotient to 12 significant digits and says so', () => {
    expect(divideDecimal(d(1), d(3))).toEqual({ value: d('0.333333333333'), exact: false });
    expect(divideDecimal(d(2), d(3))).toEqual({ value: d('0.666666666667'), exact: false });
    expect(divideDecimal(d(-2), d(3))).toEqual({ value: d('-0.666666666667'), exact: false });
    expect(divideDecimal(d(200000), d(3))).toEqual({ value: d('66666.6666667'), exact: false });
    expect(divideDecimal(d('0.00001'), d(7))).toEqual({ value: d('0.00000142857142857'), exact: false });
    // 0.99999999999993333… rounds up across a power of ten.
    expect(divideDecimal(d(29999999999999), d(30000000000001))).toEqual({ value: d(1), exact: false });
    // A terminating quotient keeps every digit, however many.
    expect(s(divideDecimal(d('0.99999999999999999'), d(1)).value)).toBe('0.99999999999999999');
    expect(s(divideDecimal(d(1), d(3), 4, 'toward-zero').value)).toBe('0.3333');
    expect(s(divideDecimal(d(2), d(3), 4, 'toward-zero').value)).toBe('0.6666');
  });

  it('refuses division by zero and a meaningless precision', () => {
    expect(() => divideDecimal(d(1), d('0.000'))).toThrow('division by zero');
    expect(() => divideDecimal(d(1), d(3), 0)).toThrow('significantDigits');
  });
});

describe('burn-rate factors and thresholds', () => {
  const tiers = [
    { budgetPercent: 2, long: H },
    { budgetPercent: 5, long: 6 * H },
    { budgetPercent: 10, long: D },
    { budgetPercent: 10, long: 3 * D },
  ];
  const factors = (windowMs: number): string[] =>
    tiers.map((t) => burnRateFactor(t.budgetPercent, windowMs, t.long).factor);

  it('gives the SRE Workbook factors for a 30d window exactly', () => {
    expect(factors(30 * D)).toEqual(['14.4', '6', '3', '1']);
    expect(tiers.every((t) => burnRateFactor(t.budgetPercent, 30 * D, t.long).exact)).toBe(true);
  });

  it('gives the 28d factors, rounding only the one that does not terminate', () => {
    expect(factors(28 * D)).toEqual(['13.44', '5.6', '2.8', '0.933333333333']);
    expect(burnRateFactor(10, 28 * D, 3 * D).exact).toBe(false);
    expect(burnRateFactor(2, 28 * D, H).exact).toBe(true);
  });

  it('gives the 7d factors', () => {
    expect(factors(7 * D)).toEqual(['3.36', '1.4', '0.7', '0.233333333333']);
  });

  it('derives thresholds as factor × error budget with no float noise', () => {
    // Sloth prints (14.4 * 0.0009999999999999432); floats give 0.014400000000000012 here.
    expect(14.4 * (1 - 0.999)).not.toBe(0.0144);
    expect(factors(30 * D).map((f) => burnRateThreshold(f, errorBudgetOf(0.999)))).toEqual([
      '0.0144',
      '0.006',
      '0.003',
      '0.001',
    ]);
    expect(factors(30 * D).map((f) => burnRateThreshold(f, errorBudgetOf(0.95)))).toEqual([
      '0.72',
      '0.3',
      '0.15',
      '0.05',
    ]);
    expect(factors(28 * D).map((f) => burnRateThreshold(f, errorBudgetOf(0.999)))).toEqual([
      '0.01344',
      '0.0056',
      '0.0028',
      '0.000933333333333',
    ]);
    expect(burnRateThreshold('14.4', errorBudgetOf(0.99999))).toBe('0.000144');
  });

  it('accepts fractional budget percentages and odd windows', () => {
    expect(burnRateFactor(12.5, 7 * D, 6 * H).factor).toBe('3.5');
    expect(burnRateFactor('0.1', 90 * D, 5 * 60_000).factor).toBe('25.92');
  });
});
