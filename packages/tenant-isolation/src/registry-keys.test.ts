import { hashApiKey } from './credentials';
import { createTenantRegistry } from './registry';

describe('authenticate', () => {
  const registry = createTenantRegistry({
    tenants: [
      {
        id: 'acme',
        apiKeys: [
          { id: 'good', hash: hashApiKey('awk_good') },
          { id: 'gone', hash: hashApiKey('awk_gone'), revoked: true },
          { id: 'soon', hash: hashApiKey('awk_soon'), expiresAt: '2025-06-01T12:00:00Z' },
        ],
      },
    ],
    now: () => Date.parse('2025-06-01T11:59:59.999Z'),
  });

  it('returns the tenant and key id for a good key', () => {
    const result = registry.authenticate('awk_good');
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.tenant.id).toBe('acme');
      expect(result.keyId).toBe('good');
    }
    expect(registry.authenticate('awk_soon')).toMatchObject({ ok: true, keyId: 'soon' });
  });

  it('refuses unknown keys without naming a tenant', () => {
    expect(registry.authenticate('awk_bad')).toEqual({ ok: false, reason: 'unknown' });
    expect(registry.authenticate('awk_good ')).toEqual({ ok: false, reason: 'unknown' });
    expect(registry.authenticate(hashApiKey('awk_good'))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses revoked keys and says whose they were', () => {
    expect(registry.authenticate('awk_gone')).toEqual({
      ok: false,
      reason: 'revoked',
      tenantId: 'acme',
      keyId: 'gone',
    });
  });

  it('refuses a key from its expiry instant on', () => {
    let now = Date.parse('2025-06-01T11:59:59.999Z');
    const clocked = createTenantRegistry({
      tenants: [
        {
          id: 'acme',
          apiKeys: [{ id: 'soon', hash: hashApiKey('awk_soon'), expiresAt: '2025-06-01T12:00:00Z' }],
        },
      ],
      now: () => now,
    });
    expect(clocked.authenticate('awk_soon').ok).toBe(true);
    now = Date.parse('2025-06-01T12:00:00Z');
    expect(clocked.authenticate('awk_soon')).toEqual({
      ok: false,
      reason: 'expired',
      tenantId: 'acme',
      keyId: 'soon',
    });
    // A broken clock fails closed.
    now = Number.NaN;
    expect(clocked.authenticate('awk_soon')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('accepts date-only and offset expiry instants', () => {
    let now = Date.parse('2025-01-31T23:59:59Z');
    const clocked = createTenantRegistry({
      tenants: [
        {
          id: 'acme',
          apiKeys: [
            { id: 'date', hash: hashApiKey('awk_date'), expiresAt: '2025-02-01' },
            { id: 'offset', hash: hashApiKey('awk_offset'), expiresAt: '2025-02-01T02:00:00+02:00' },
          ],
        },
      ],
      now: () => now,
    });
    expect(clocked.authenticate('awk_date').ok).toBe(true);
    expect(clocked.authenticate('awk_offset').ok).toBe(true);
    now = Date.parse('2025-02-01T00:00:00Z');
    expect(clocked.authenticate('awk_date').ok).toBe(false);
    expect(clocked.authenticate('awk_offset').ok).toBe(false);
  });

  it('returns a result, never throws, for hostile keys', () => {
    for (const key of [undefined, null, 0, {}, [], '', 'x'.repeat(1_000_000), '\u0000', '\ud83d']) {
      expect(registry.authenticate(key)).toEqual({ ok: false, reason: 'unknown' });
    }
  });
});
