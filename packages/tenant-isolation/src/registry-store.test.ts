import { generateApiKey, hashApiKey } from './credentials';
import type { AuditEventInput, AuditSink } from './policy-types';
import { createTenantRegistry } from './registry';
import type { TenantRegistryChange } from './registry';
import { configError } from './test-fixtures/registry';

function auditLog(): AuditSink & { events: AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return { events, record: (event) => void events.push(event) };
}

describe('changes', () => {
  function fixture() {
    const audit = auditLog();
    const changes: TenantRegistryChange[] = [];
    const registry = createTenantRegistry({
      plans: { small: { requestsPerSecond: 5 }, big: { requestsPerSecond: 500 } },
      tenants: [
        {
          id: 'acme',
          plan: 'small',
          apiKeys: [
            { id: 'one', hash: hashApiKey('awk_one') },
            { id: 'two', hash: hashApiKey('awk_two') },
          ],
        },
        { id: 'globex', apiKeys: [{ id: 'main', hash: hashApiKey('awk_globex') }] },
      ],
      audit,
    });
    registry.onChange((change) => void changes.push(change));
    return { registry, audit, changes };
  }

  it('revoking a key stops it and only it, audited without any key material', () => {
    const { registry, audit, changes } = fixture();
    expect(registry.revokeKey('acme', 'one')).toBe(true);
    expect(registry.authenticate('awk_one')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(registry.authenticate('awk_two')).toMatchObject({ ok: true, keyId: 'two' });
    expect(audit.events).toEqual([
      { type: 'policy.change', tenant: 'acme', data: { action: 'api_key.revoke', keyId: 'one' } },
    ]);
    expect(changes).toEqual([
      expect.objectContaining({ type: 'api_key.revoked', tenantId: 'acme', keyId: 'one' }),
    ]);
    // Revoking again changes nothing and records nothing.
    expect(registry.revokeKey('acme', 'one')).toBe(false);
    expect(audit.events).toHaveLength(1);
  });

  it('refuses to revoke a key that does not exist, naming the keys there are', () => {
    const { registry } = fixture();
    expect(() => registry.revokeKey('acme', 'three')).toThrow(
      /tenant "acme" has no key "three"; its keys are "one", "two"/,
    );
    expect(() => registry.revokeKey('nobody', 'one')).toThrow(/there is no tenant "nobody"/);
  });

  it('adds a key that works at once, audited by id', () => {
    const { registry, audit, changes } = fixture();
    const key = generateApiKey();
    registry.addApiKey('acme', { id: 'three', hash: hashApiKey(key), expiresAt: '2099-01-01T00:00:00Z' });
    expect(registry.authenticate(key)).toMatchObject({ ok: true, keyId: 'three' });
    expect(audit.events).toEqual([
      {
        type: 'policy.change',
        tenant: 'acme',
        data: { action: 'api_key.add', keyId: 'three', expiresAt: '2099-01-01T00:00:00Z' },
      },
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(hashApiKey(key));
    expect(changes[0]).toMatchObject({ type: 'api_key.added', keyId: 'three' });
  });

  it('refuses a key already used by another tenant, and a plaintext key without echoing it', () => {
    const { registry, audit } = fixture();
    expect(() => registry.addApiKey('acme', { id: 'stolen', hash: hashApiKey('awk_globex') })).toThrow(
      /tenant\.apiKeys\[2\]\.hash: the same key is already configured as tenant "globex" key "main"/,
    );
    const error = configError(() => registry.addApiKey('acme', { id: 'plain', hash: 'awk_supersecret' }));
    expect(error.message).toMatch(/looks like a plaintext API key .*store hashApiKey\(key\)/);
    expect(error.message).not.toContain('supersecret');
    expect(registry.get('acme')?.config.apiKeys).toHaveLength(2);
    expect(audit.events).toEqual([]);
  });

  it('updates a tenant and tells listeners which fields changed', () => {
    const { registry, audit, changes } = fixture();
    const before = registry.get('acme');
    const after = registry.upsertTenant({ ...before!.config, plan: 'big', allowedIps: ['10.0.0.0/8'] });
    expect(after.limits.requestsPerSecond).toBe(500);
    expect(registry.get('acme')).toBe(after);
    expect(registry.authenticate('awk_one')).toMatchObject({ ok: true });
    expect(audit.events).toEqual([
      {
        type: 'policy.change',
        tenant: 'acme',
        data: { action: 'tenant.update', fields: ['plan', 'allowedIps'] },
      },
    ]);
    expect(changes).toEqual([
      {
        type: 'tenant.updated',
        tenantId: 'acme',
        tenant: after,
        previous: before,
        fields: ['plan', 'allowedIps'],
      },
    ]);
  });

  it('adds and removes tenants, keys with them', () => {
    const { registry, audit, changes } = fixture();
    registry.upsertTenant({ id: 'initech', apiKeys: [{ id: 'k', hash: hashApiKey('awk_initech') }] });
    expect(registry.ids()).toEqual(['acme', 'globex', 'initech']);
    expect(registry.authenticate('awk_initech')).toMatchObject({ ok: true });
    expect(registry.removeTenant('initech')).toBe(true);
    expect(registry.removeTenant('initech')).toBe(false);
    expect(registry.authenticate('awk_initech')).toEqual({ ok: false, reason: 'unknown' });
    expect(audit.events.map((e) => e.data)).toEqual([
      { action: 'tenant.add', fields: ['id', 'apiKeys'] },
      { action: 'tenant.remove' },
    ]);
    expect(changes.map((c) => c.type)).toEqual(['tenant.added', 'tenant.removed']);
  });

  it('leaves the registry unchanged when an update is invalid', () => {
    const { registry, audit, changes } = fixture();
    const before = registry.get('acme');
    const error = configError(() =>
      registry.upsertTenant({ id: 'acme', plan: 'huge', allowedIps: ['10.0.0.0/33'] }),
    );
    expect(error.problems).toEqual([
      'tenant.plan: unknown plan "huge"; defined plans: "small", "big"',
      'tenant.allowedIps[0]: "10.0.0.0/33": prefix length must be 0-32 for IPv4',
    ]);
    expect(registry.get('acme')).toBe(before);
    expect(audit.events).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('keeps going when a listener throws, and reports the error', () => {
    const errors: unknown[] = [];
    const registry = createTenantRegistry({ tenants: [{ id: 'a' }], onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    registry.onChange(() => {
      throw new Error('listener broke');
    });
    const unsubscribe = registry.onChange((change) => seen.push(change.type));
    registry.upsertTenant({ id: 'b' });
    unsubscribe();
    registry.upsertTenant({ id: 'c' });
    expect(registry.ids()).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['tenant.added']);
    expect(errors).toEqual([new Error('listener broke'), new Error('listener broke')]);
  });

  it('is not changed by later edits to the objects it was given', () => {
    const ips = ['10.0.0.0/8'];
    const tenant = { id: 'acme', allowedIps: ips };
    const registry = createTenantRegistry({ tenants: [tenant] });
    ips.push('0.0.0.0/0');
    expect(registry.get('acme')?.config.allowedIps).toEqual(['10.0.0.0/8']);
    expect(registry.get('acme')?.allowsIp('192.0.2.1')).toBe(false);
    expect(Object.isFrozen(registry.get('acme')?.config.allowedIps)).toBe(true);
  });
});
