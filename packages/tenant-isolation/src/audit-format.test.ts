import { canonicalJson, auditIdentifier } from './audit-format';

describe('canonicalJson', () => {
  it('sorts keys at every depth, whatever order they were added in', () => {
    const a = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } });
    const b = canonicalJson({ a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 });
    expect(a).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    expect(b).toBe(a);
  });

  it('turns what JSON cannot hold into readable values instead of throwing', () => {
    const cycle: Record<string, unknown> = { n: 1 };
    cycle.self = cycle;
    const throwing = Object.defineProperty({ ok: 1 }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const value = {
      cycle,
      big: 12345678901234567890n,
      fn: () => 1,
      sym: Symbol('s'),
      undef: undefined,
      list: [undefined, () => 1, Symbol('x'), NaN, -Infinity],
      throwing,
      proxy,
      date: new Date(0),
      map: new Map([['k', 1]]),
      set: new Set(['a']),
      bytes: new Uint8Array(3),
      err: Object.assign(new TypeError('bad input'), { code: 'E_BAD' }),
    };
    expect(JSON.parse(canonicalJson(value) ?? '')).toEqual({
      big: '12345678901234567890',
      bytes: '[Uint8Array 3 bytes]',
      cycle: { n: 1, self: '[Circular]' },
      date: '1970-01-01T00:00:00.000Z',
      err: { code: 'E_BAD', message: 'bad input', name: 'TypeError' },
      list: [null, null, null, 'NaN', '-Infinity'],
      map: [['k', 1]],
      proxy: '[Unreadable]',
      set: ['a'],
      throwing: '[Unreadable]',
    });
    expect(canonicalJson(() => 1)).toBeUndefined();
    expect(canonicalJson(Symbol('x'), 1024)).toBeUndefined();
  });

  it('keeps shared (non-cyclic) references and own __proto__ keys as data', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const hostile = JSON.parse('{"__proto__":{"polluted":1}}') as unknown;
    expect(canonicalJson(hostile, 1024)).toBe('{"__proto__":{"polluted":1}}');
  });

  it('stays within maxBytes of UTF-8, with markers saying what was cut', () => {
    const cases: unknown[] = [
      'é'.repeat(100_000),
      '\u0000'.repeat(100_000),
      '😀'.repeat(50_000),
      Array.from({ length: 10_000 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`key-${i}`, 'v'.repeat(50)])),
      { ['k'.repeat(10_000)]: 1 },
    ];
    for (const value of cases) {
      const out = canonicalJson(value, 2048) ?? '';
      expect(Buffer.byteLength(out)).toBeLessThanOrEqual(2048);
      expect(out).toMatch(/…\[\+\d+ chars\]|\[\+\d+ items\]|"\[truncated\]":\d+/);
    }
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(canonicalJson(deep, 2048)).toContain('"[Truncated]"');
  });

  it('is idempotent: parsing its output and canonicalizing again gives the same text', () => {
    const values: unknown[] = [
      { z: 'é😀\u2028\n', a: [1, -0, 1e21, 5e-324, { '': null }], '10': 'ten', '9': 'nine' },
      Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'x'.repeat(i)])),
      Array.from({ length: 1000 }, (_, i) => ({ i, s: 'y'.repeat(i % 50) })),
      { '[truncated]': 'mine', ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])) },
      '😀'.repeat(5000),
    ];
    for (const value of values) {
      const first = canonicalJson(value, 4096) ?? '';
      expect(canonicalJson(JSON.parse(first))).toBe(first);
    }
  });
});

describe('auditIdentifier', () => {
  it('keeps strings, spells numbers, cuts long values and refuses the rest', () => {
    expect(auditIdentifier('acme', 10)).toBe('acme');
    expect(auditIdentifier(42, 10)).toBe('42');
    expect(auditIdentifier(7n, 10)).toBe('7');
    expect(auditIdentifier('', 10)).toBeUndefined();
    expect(auditIdentifier({}, 10)).toBeUndefined();
    const cut = auditIdentifier('x'.repeat(1000), 64) ?? '';
    expect(cut.length).toBeLessThanOrEqual(64);
    expect(cut).toMatch(/…\[\+\d+ chars\]$/);
  });
});
