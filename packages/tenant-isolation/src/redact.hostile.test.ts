import { seededRandom } from '@autoweave/test-utils';
import type { TenantKeySet } from './policy-types';
import { createRedactor } from './redact';
import { createTenantCipher, generateTenantKey } from './tenant-cipher';
import { JWT } from './test-fixtures/redact';

describe('hostile input', () => {
  const VICTIM = 'victim@example.com';
  const CARD = '4111 1111 1111 1111';
  const SECRETS = [VICTIM, CARD, JWT, 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'];
  const JUNK_CHARS = ['a', 'Z', '9', '@', '.', '-', ':', '=', '"', '\u0000', '\ud800', 'é', '😀', '\n'];

  function hostileValue(rand: () => number, depth: number): unknown {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    const junk = (n: number) => {
      let out = '';
      for (let k = 0; k < n; k++) out += JUNK_CHARS[Math.floor(rand() * JUNK_CHARS.length)];
      return out;
    };
    const secret = () => ` ${pick(SECRETS)} `;
    const leaf = (): unknown =>
      pick<() => unknown>([
        () => junk(Math.floor(rand() * 40)) + secret() + junk(Math.floor(rand() * 40)),
        () => 'x '.repeat(40_000) + secret() + 'y'.repeat(100),
        () => junk(2000),
        () => Math.floor(rand() * 1e16),
        () => 4111111111111111,
        () => NaN,
        () => -0,
        () => 5555555555554444n,
        () => 2n ** 70n,
        () => Symbol(VICTIM),
        () => () => VICTIM,
        () => undefined,
        () => null,
        () => rand() < 0.5,
        () => new Date(rand() < 0.5 ? NaN : 0),
        () => Buffer.from(VICTIM),
        () => new Uint16Array(3),
        () => new ArrayBuffer(8),
        () => new DataView(new ArrayBuffer(4)),
        () => new Map([[VICTIM, VICTIM]]),
        () => new Set([VICTIM]),
        () => /victim@example\.com/,
        () => Object.assign(new Error(`failed for ${VICTIM}`), { user: VICTIM }),
        () => ({
          get boom(): never {
            throw new Error('getter');
          },
          ok: 1,
        }),
        () => ({
          get sneaky() {
            return `mail ${VICTIM}`;
          },
        }),
        () => ({
          toJSON() {
            throw new Error('toJSON');
          },
        }),
        () => ({ toJSON: () => ({ leaked: VICTIM }) }),
        () =>
          new Proxy(
            {},
            {
              ownKeys() {
                throw new Error('ownKeys');
              },
              getPrototypeOf() {
                throw new Error('getPrototypeOf');
              },
            },
          ),
        () => new Proxy({ a: VICTIM }, { get: () => VICTIM }),
        () => {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          return proxy;
        },
        () => Object.freeze({ [VICTIM]: CARD }),
        () => Object.assign(Object.create(null) as object, { email: VICTIM }),
        () => JSON.parse(`{"__proto__": {"polluted": "${VICTIM}"}}`) as unknown,
        () =>
          new (class Account {
            constructor(readonly owner = VICTIM) {}
          })(),
        () => Promise.resolve(VICTIM),
        () => {
          let deep: unknown = { email: VICTIM };
          for (let i = 0; i < 50; i++) deep = { deep };
          return deep;
        },
        () => {
          const sparse: unknown[] = [];
          sparse[1_000_000] = VICTIM;
          return sparse;
        },
      ])();
    if (depth > 5 || rand() < 0.45) return leaf();
    const shape = rand();
    if (shape < 0.3)
      return Array.from({ length: Math.floor(rand() * 6) }, () => hostileValue(rand, depth + 1));
    const obj: Record<string, unknown> = {};
    for (let i = Math.floor(rand() * 6); i > 0; i--) {
      const key = pick(['a', 'password', VICTIM, 'X-Api-Key', 'user.email', '__proto__', 'nested', junk(6)]);
      Object.defineProperty(obj, key, {
        value: hostileValue(rand, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    if (rand() < 0.3) obj.self = obj;
    if (rand() < 0.2) obj.pair = { back: obj };
    return obj;
  }

  const serialise = (value: unknown) =>
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? '';

  it('never throws, and never lets a planted secret through, for 400 random hostile values', () => {
    const keys: Record<string, TenantKeySet> = { acme: { current: 'k1', keys: { k1: generateTenantKey() } } };
    const redactor = createRedactor({
      policyFor: () => ({ maskIps: true, sensitiveAttributes: ['user.email'] }),
      cipher: createTenantCipher({ keysFor: (t) => keys[t] }),
    });
    for (let seed = 1; seed <= 400; seed++) {
      const value = hostileValue(seededRandom(seed), 0);
      const outputs: unknown[] = [];
      expect(() => {
        outputs.push(redactor.redactValue(value, 'acme'));
        const map =
          typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : { value };
        outputs.push(redactor.redactAttributes(map, 'acme'));
        outputs.push(redactor.logHook({ level: 'info', message: value, tenant_id: 'acme', meta: value }));
        outputs.push(redactor.redactString(typeof value === 'string' ? value : String(typeof value), 'acme'));
      }).not.toThrow();
      for (const output of outputs) {
        const text = serialise(output);
        for (const secret of SECRETS) {
          if (text.includes(secret)) throw new Error(`seed ${seed} leaked ${secret}: ${text.slice(0, 300)}`);
        }
      }
    }
    expect(redactor.stats()).toMatchObject({
      circular: expect.any(Number),
      unreadable: expect.any(Number),
      binary: expect.any(Number),
    });
    const stats = redactor.stats();
    expect(stats.circular).toBeGreaterThan(0);
    expect(stats.unreadable).toBeGreaterThan(0);
    expect(stats.binary).toBeGreaterThan(0);
    expect(stats.encrypted).toBeGreaterThan(0);
    expect(stats.depth).toBeGreaterThan(0);
  });

  it('handles each hostile shape on its own: cycles, throwing getters and proxies, binary, symbols, bigints', () => {
    const redactor = createRedactor();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const out = redactor.redactAttributes({
      cyclic,
      getter: {
        get boom(): never {
          throw new Error('nope');
        },
        ok: 1,
      },
      proxy: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys');
          },
        },
      ),
      revoked: revocable.proxy,
      buffer: Buffer.from(VICTIM),
      symbol: Symbol('s'),
      big: 12n,
      fn: () => 1,
      date: new Date(0),
      list: [1, [2, [3]]],
    });
    expect(out).toMatchObject({
      cyclic: { name: 'loop', self: '[circular]' },
      getter: { boom: '[unreadable]', ok: 1 },
      proxy: '[unreadable]',
      revoked: '[unreadable]',
      buffer: '[binary 18 bytes]',
      big: 12n,
      date: new Date(0),
      list: [1, [2, [3]]],
    });
    // JSON would drop them (or, for a function named toJSON, call it).
    expect(out.symbol).toBeUndefined();
    expect(out.fn).toBeUndefined();
    expect(redactor.redactAttributes({ toJSON: () => ({ leaked: VICTIM }) })).toEqual({});
  });

  it('keeps an own __proto__ key as data instead of setting the prototype', () => {
    const redactor = createRedactor();
    const out = redactor.redactAttributes(
      JSON.parse('{"__proto__": {"email": "a@example.com"}}') as Record<string, unknown>,
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ email: '[email]' });
  });

  it('finishes strings built to make regular expressions backtrack, with output bounded by the limits', () => {
    const limit = 65_536;
    const redactor = createRedactor({ policyFor: () => ({ maskIps: true }) });
    const hostile = [
      'eyJ'.repeat(limit),
      'eyJa.'.repeat(limit / 4),
      'a@'.repeat(limit),
      'a@b.co'.repeat(limit / 4),
      'x'.repeat(limit) + '@example.com',
      '4111 '.repeat(limit / 4),
      '1-'.repeat(limit),
      '1'.repeat(limit * 2),
      '::'.repeat(limit),
      '1.1.1.1.'.repeat(limit / 4),
      'ffff:'.repeat(limit / 4),
      'Bearer '.repeat(limit / 4),
      'password='.repeat(limit / 4),
      'password: "'.repeat(limit / 4),
      'https://'.repeat(limit / 4),
      'ghp_'.repeat(limit / 2),
      'sk_live_'.repeat(limit / 4),
    ];
    for (const s of hostile) {
      const out = redactor.redactString(s, 'acme');
      expect(typeof out).toBe('string');
      expect(out.length).toBeLessThanOrEqual(3 * limit);
    }
  });

  it('bounds the strings it writes per record, however many there are', () => {
    const redactor = createRedactor({ maxStringLength: 1000 });
    const many = Array.from({ length: 100 }, (_, i) => `${i} ${'x '.repeat(400)} mail a${i}@example.com`);
    const out = redactor.redactValue(many) as string[];
    expect(out.filter((s) => s === '[too many values]').length).toBeGreaterThan(0);
    expect(serialise(out).length).toBeLessThan(10 * 1000);
  });
});
