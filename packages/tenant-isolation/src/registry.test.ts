import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_TENANT_LIMITS,
  createTenantRegistry,
  loadTenantRegistry,
  readTenantRegistryConfig,
} from './registry';

const FIXTURE = join(__dirname, 'test-fixtures', 'tenants.yaml');
const acmeKey = 'awk_test_acme_primary';

describe('a registry loaded from YAML', () => {
  it('serves each tenant with plan limits merged over the defaults and its own overrides', async () => {
    const registry = await loadTenantRegistry(FIXTURE);
    expect(registry.ids()).toEqual(['acme', 'globex', 'initech']);
    const acme = registry.get('acme');
    expect(acme).toMatchObject({ id: 'acme', name: 'Acme Corp', plan: 'pro', orgId: 'acme' });
    expect(acme?.limits).toEqual({
      requestsPerSecond: 200,
      requestBurst: 400,
      spansPerSecond: 5000,
      logLinesPerSecond: DEFAULT_TENANT_LIMITS.logLinesPerSecond,
      newSeriesPerMinute: DEFAULT_TENANT_LIMITS.newSeriesPerMinute,
    });
    // No plan named: the default plan applies.
    expect(registry.get('globex')).toMatchObject({
      plan: 'free',
      name: 'globex',
      orgId: 'globex-prod',
      limits: { requestsPerSecond: 10, spansPerSecond: 100, logLinesPerSecond: 50, newSeriesPerMinute: 20 },
    });
    expect(registry.plans.pro?.spansPerSecond).toBe(DEFAULT_TENANT_LIMITS.spansPerSecond);
    expect(registry.has('initech')).toBe(true);
    expect(registry.has('nobody')).toBe(false);
    expect(registry.size).toBe(3);
  });

  it('compiles the IP and origin policies', async () => {
    const registry = await loadTenantRegistry(FIXTURE);
    const acme = registry.get('acme');
    expect(acme?.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(acme?.allowsIp('::ffff:10.9.8.7')).toBe(true);
    expect(acme?.allowsIp('192.0.2.1')).toBe(false);
    expect(acme?.allowsOrigin('https://anything.test')).toBe(true);
    const initech = registry.get('initech');
    expect(initech?.allowedIps).toBeUndefined();
    expect(initech?.allowsIp('192.0.2.1')).toBe(true);
    expect(initech?.allowsOrigin('https://eu.initech.example')).toBe(true);
    expect(initech?.allowsOrigin('https://initech.example.evil.test')).toBe(false);
  });

  it('gives tenants without a plan and without a default plan the built-in limits', () => {
    const registry = createTenantRegistry({ tenants: [{ id: 'solo' }] });
    expect(registry.get('solo')?.limits).toEqual(DEFAULT_TENANT_LIMITS);
    expect(registry.get('solo')?.plan).toBeUndefined();
  });

  it('reads the same tenants from JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tenants-'));
    try {
      const file = join(dir, 'tenants.json');
      const config = await readTenantRegistryConfig(FIXTURE);
      await writeFile(file, JSON.stringify(config));
      const registry = await loadTenantRegistry(file);
      expect(registry.ids()).toEqual(['acme', 'globex', 'initech']);
      expect(registry.authenticate(acmeKey)).toMatchObject({ ok: true, keyId: 'primary' });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
