// Seeded fuzzing: hostile requests must always get a result from resolveTenant (never a throw, never
// a wrong tenant), and hostile configurations must always get a TenantConfigError.
import { hashApiKey } from './credentials';
import type { AuditEventInput, TenantConfig } from './policy-types';
import { seededRandom as random } from '@autoweave/test-utils';
import { TenantConfigError, createTenantRegistry } from './registry';
import { TenantAccessError, createTenantResolver, resolveTenant } from './resolve';

const KEYS = { acme: 'awk_fuzz_acme_key_0123456789', locked: 'awk_fuzz_locked_key_abcdef' };
const registry = createTenantRegistry({
  tenants: [
    { id: 'acme', apiKeys: [{ id: 'main', hash: hashApiKey(KEYS.acme) }] },
    {
      id: 'locked',
      apiKeys: [{ id: 'main', hash: hashApiKey(KEYS.locked) }],
      allowedIps: ['10.0.0.0/8', 'fd00::/8'],
      allowedOrigins: ['https://*.locked.example'],
    },
  ],
});

const CODES = new Set([
  'missing_credentials',
  'malformed_credentials',
  'unknown_key',
  'revoked_key',
  'expired_key',
  'ip_not_allowed',
  'origin_not_allowed',
  'tenant_mismatch',
]);

function generators(next: () => number) {
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chars = [
    'a',
    'Z',
    '0',
    '-',
    '_',
    ' ',
    ',',
    ':',
    '.',
    '/',
    '=',
    '%',
    '\t',
    '\r',
    '\n',
    '\u0000',
    '\u007f',
    '\u00ff',
    '\u202e',
    '\u2028',
    '\ufeff',
    'é',
    '🔑',
    '\ud800',
    '\udfff',
    '[',
    ']',
    '"',
    '\\',
  ];
  const text = (max: number): string => Array.from({ length: int(max) }, () => pick(chars)).join('');
  const mutate = (value: string): string => {
    const i = int(value.length + 1);
    switch (int(5)) {
      case 0:
        return value.slice(0, i) + pick(chars) + value.slice(i + 1);
      case 1:
        return value.slice(0, i) + value.slice(i + 1);
      case 2:
        return value.slice(0, i) + pick(chars) + value.slice(i);
      case 3:
        return value.toUpperCase();
      default:
        return value + value;
    }
  };
  const key = (): string =>
    pick([
      () => KEYS.acme,
      () => KEYS.locked,
      () => KEYS.locked,
      () => mutate(KEYS.acme),
      () => mutate(mutate(KEYS.locked)),
      () => hashApiKey(KEYS.acme),
      () => text(40),
      () => 'x'.repeat(int(3) === 0 ? 100_000 : 513),
    ])();
  const authorization = (): unknown =>
    pick([
      () => `Bearer ${key()}`,
      () => `bearer  ${key()}  `,
      () => `Basic ${key()}`,
      () => key(),
      () => [`Bearer ${key()}`, `Bearer ${key()}`],
      () => [`Bearer ${key()}`],
      () => [],
      () => text(30),
      () => 42,
      () => null,
      () => ({ toString: () => `Bearer ${KEYS.acme}` }),
      () => undefined,
    ])();
  const tenantClaim = (): unknown =>
    pick([
      () => 'acme',
      () => 'locked',
      () => 'ACME',
      () => ` acme`,
      () => text(20),
      () => 't'.repeat(10_000),
      () => ['acme', text(5)],
      () => ['acme'],
      () => '',
      () => 7,
      () => undefined,
    ])();
  const ip = (): unknown =>
    pick([
      () => '10.1.2.3',
      () => '10.200.0.1',
      () => '::ffff:10.1.2.3',
      () => 'fd00::1',
      () => 'fd12:3456::1',
      () => '192.0.2.1',
      () => '2001:db8::1',
      () => text(20),
      () => `${int(300)}.${int(300)}.${int(300)}.${int(300)}`,
      () => 'fe80::1%eth0',
      () => 'x'.repeat(1000),
      () => undefined,
      () => 42,
    ])();
  const origin = (): unknown =>
    pick([
      () => 'https://a.locked.example',
      () => 'https://locked.example',
      () => `https://${text(10)}.locked.example`,
      () => 'null',
      () => text(30),
      () => ['https://a.locked.example', 'https://a.locked.example'],
      () => `https://${'a.'.repeat(2000)}locked.example`,
      () => undefined,
    ])();
  const headerName = (name: string): string =>
    pick([
      name,
      name.toUpperCase(),
      name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()),
      `${name} `,
      text(8),
    ]);
  const headers = (): unknown => {
    const shape = int(12);
    if (shape === 0) return undefined;
    if (shape === 1) return null;
    if (shape === 2) return 'authorization: Bearer x';
    if (shape === 3) {
      return Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`h${i}`, 'v']));
    }
    if (shape === 4) {
      return new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('hostile ownKeys');
          },
        },
      );
    }
    const out: Record<string, unknown> = {};
    const set = (name: string, value: unknown) => {
      if (value !== undefined) out[headerName(name)] = value;
    };
    set('authorization', authorization());
    if (int(2) === 0) set('x-tenant-id', tenantClaim());
    if (int(2) === 0) set('origin', origin());
    if (int(3) === 0)
      set('x-forwarded-for', pick([text(40), `${String(ip())}, ${String(ip())}`, ['10.0.0.1', 7]]));
    if (int(4) === 0) out[text(10)] = text(10);
    if (shape === 5) {
      Object.defineProperty(out, 'authorization', {
        enumerable: true,
        get() {
          throw new Error('hostile getter');
        },
      });
    }
    if (shape === 6) {
      const h = new Headers();
      for (const [name, value] of Object.entries(out)) {
        try {
          h.append(name, String(value));
        } catch {
          // Headers refuses names and values fetch would never send; skip those.
        }
      }
      return h;
    }
    return out;
  };
  /** A nearly well-formed request, so the checks after authentication are reached often. */
  const plausible = (): unknown => ({
    headers: {
      authorization: `Bearer ${pick([KEYS.acme, KEYS.locked, mutate(KEYS.locked)])}`,
      ...(int(2) === 0 ? { 'x-tenant-id': pick(['acme', 'locked', text(8)]) } : {}),
      ...(int(2) === 0 ? { origin: origin() } : {}),
    },
    remoteAddress: pick(['10.1.2.3', 'fd00::1', '192.0.2.1', text(6)]),
  });
  const request = (): unknown =>
    pick([
      plausible,
      plausible,
      () => ({ headers: headers(), remoteAddress: ip() }),
      () => ({ headers: headers(), socket: { remoteAddress: ip() } }),
      () => ({ headers: headers(), socket: null }),
      () => ({ headers: headers() }),
      () => null,
      () => undefined,
      () => 'GET / HTTP/1.1',
      () => 42,
      () => [],
    ])();
  return { int, pick, text, request, tenantClaim };
}

/** The single well-formed key a request carried, if any. */
function presentedKey(request: unknown): string | undefined {
  const headers = (request as { headers?: unknown } | null)?.headers;
  if (headers instanceof Headers) return /^bearer +(\S+) *$/i.exec(headers.get('authorization') ?? '')?.[1];
  if (typeof headers !== 'object' || headers === null) return undefined;
  const values = Object.entries(headers).filter(([name]) => name.toLowerCase() === 'authorization');
  let value = values.length === 1 ? values[0]?.[1] : undefined;
  if (Array.isArray(value)) value = value.length === 1 ? (value[0] as unknown) : undefined;
  return typeof value === 'string' ? /^bearer +(\S+) *$/i.exec(value.trim())?.[1] : undefined;
}

describe('resolveTenant under hostile input', () => {
  it('always returns a result, and grants a tenant only for its own key from an allowed place', () => {
    const events: AuditEventInput[] = [];
    const resolve = createTenantResolver(registry, {
      audit: { record: (event) => void events.push(event) },
      trustProxy: ['10.0.0.0/8'],
    });
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 3000; seed++) {
      const g = generators(random(seed));
      const request = g.request();
      let result;
      try {
        result = resolve(request as never);
      } catch (error) {
        throw new Error(`seed ${seed} threw: ${String(error)}`, { cause: error });
      }
      outcomes.add(result.ok ? `ok:${result.tenant.id}` : result.error.code);
      if (result.ok) {
        const key = presentedKey(request);
        const expected = key === KEYS.acme ? 'acme' : key === KEYS.locked ? 'locked' : undefined;
        if (result.tenant.id !== expected) {
          throw new Error(`seed ${seed} resolved ${result.tenant.id} for key ${String(key)}`);
        }
        if (result.tenant.id === 'locked' && !/^10\.|^fd/.test(result.clientIp ?? '')) {
          throw new Error(`seed ${seed} let locked in from ${String(result.clientIp)}`);
        }
      } else {
        expect(result.error).toBeInstanceOf(TenantAccessError);
        expect([401, 403]).toContain(result.error.status);
        expect(CODES.has(result.error.code)).toBe(true);
      }
    }
    // The generator reaches every outcome, so each check above was exercised.
    expect([...outcomes].sort()).toEqual([
      'ip_not_allowed',
      'malformed_credentials',
      'missing_credentials',
      'ok:acme',
      'ok:locked',
      'origin_not_allowed',
      'tenant_mismatch',
      'unknown_key',
    ]);
    const audited = JSON.stringify(events);
    expect(audited).not.toContain(KEYS.acme);
    expect(audited).not.toContain(KEYS.locked);
    // Every recorded client-supplied text is bounded.
    for (const event of events) {
      for (const field of ['claimedTenant', 'origin'] as const) {
        const value = event.data?.[field];
        if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(64 * 12 + 1);
      }
    }
  });

  it('never lets a hostile X-Tenant-ID pass unless it is exactly the tenant of the key', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const g = generators(random(seed));
      const claim = g.tenantClaim();
      const result = resolveTenant(registry, {
        headers: {
          authorization: `Bearer ${KEYS.acme}`,
          ...(claim === undefined ? {} : { 'x-tenant-id': claim as string }),
        },
        remoteAddress: '10.0.0.1',
      });
      const honest =
        claim === undefined ||
        (typeof claim === 'string' && claim.trim() === 'acme') ||
        (Array.isArray(claim) && claim.every((c) => c === 'acme'));
      if (result.ok !== honest)
        throw new Error(`seed ${seed}: claim ${JSON.stringify(claim)} gave ok=${String(result.ok)}`);
    }
  });
});

describe('createTenantRegistry under hostile configuration', () => {
  it('either builds a registry or throws a TenantConfigError with one-line problems', () => {
    const values = (g: ReturnType<typeof generators>): unknown =>
      g.pick([
        () => undefined,
        () => null,
        () => g.text(12),
        () => g.int(1000) - 500,
        () => Number.NaN,
        () => Infinity,
        () => true,
        () => [],
        () => [g.text(5), 3],
        () => ({}),
        () => ({ [g.text(6)]: g.text(6) }),
        () => () => 1,
        () => Symbol('s'),
        () => 10n,
        () => 'acme',
        () => '10.0.0.0/8',
        () => 'https://*.example.com',
        () => hashApiKey(`k${g.text(5)}`),
        () => '2030-01-01T00:00:00Z',
      ])();
    let built = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const g = generators(random(seed));
      const tenant = (): unknown => {
        const out: Record<string, unknown> = {};
        for (const field of [
          'id',
          'name',
          'plan',
          'orgId',
          'limits',
          'apiKeys',
          'allowedIps',
          'allowedOrigins',
          'retention',
          'redaction',
          'encryption',
          g.text(8),
        ]) {
          if (g.int(3) === 0) continue;
          if (field === 'apiKeys' && g.int(2) === 0) {
            out[field] = [
              { id: g.pick(['k', g.text(4)]), hash: values(g), expiresAt: values(g), revoked: values(g) },
            ];
          } else if (field === 'limits' && g.int(2) === 0) {
            out[field] = { requestsPerSecond: values(g), [g.text(5)]: values(g) };
          } else if ((field === 'allowedIps' || field === 'allowedOrigins') && g.int(2) === 0) {
            out[field] = [values(g), values(g)];
          } else {
            out[field] = field === 'id' && g.int(2) === 0 ? 'acme' : values(g);
          }
        }
        return out;
      };
      const config = g.pick([
        () => ({ tenants: Array.from({ length: g.int(4) }, tenant) }),
        () => ({ tenants: [tenant()], plans: { [g.text(5)]: values(g) }, defaultPlan: values(g) }),
        () => ({ tenants: values(g) }),
        () => values(g),
      ])();
      try {
        createTenantRegistry(config as { tenants: TenantConfig[] });
        built++;
      } catch (error) {
        if (!(error instanceof TenantConfigError)) {
          throw new Error(`seed ${seed} threw ${String(error)} instead of a TenantConfigError`, {
            cause: error,
          });
        }
        expect(error.problems.length).toBeGreaterThan(0);
        for (const problem of error.problems) expect(problem).not.toMatch(/\p{Cc}/u);
      }
    }
    // The generator also produces valid configurations, so acceptance is exercised too.
    expect(built).toBeGreaterThan(0);
  });
});
