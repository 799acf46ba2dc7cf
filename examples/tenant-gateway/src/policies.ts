// The tenant policies of the gateway, all from one tenant file: who a request belongs to, how much
// it may send, what is masked or encrypted, and the audit log every security event goes to.
import {
  createAuditLog,
  createPressureMonitor,
  createRedactor,
  createTenantCipher,
  createTenantLimiter,
  createTenantResolver,
  loadTenantRegistry,
  type AuditLog,
  type PressureMonitor,
  type Redactor,
  type TenantCipher,
  type TenantLimiter,
  type TenantRegistry,
  type TenantResolver,
} from '@autoweave/tenant-isolation';
import { withDemoKeys } from './demo-secrets';

export interface PolicyOptions {
  /** The tenant file (YAML). */
  readonly tenantsFile: string;
  /** Where the hash-chained audit log is appended. */
  readonly auditFile: string;
  /** Where `env:` encryption keys are read; demo keys fill the gaps. */
  readonly env: NodeJS.ProcessEnv;
  /** CIDRs of reverse proxies whose X-Forwarded-For is believed. Default: none. */
  readonly trustProxy?: readonly string[];
}

export interface Policies {
  readonly audit: AuditLog;
  readonly registry: TenantRegistry;
  readonly resolve: TenantResolver;
  readonly limiter: TenantLimiter;
  readonly pressure: PressureMonitor;
  readonly cipher: TenantCipher;
  readonly redactor: Redactor;
  /** Environment variables that were unset and got a demo encryption key. */
  readonly demoKeysUsed: readonly string[];
  /** Tenants with `encryption` configured whose current key cannot be used (their sensitive values are masked). */
  readonly unusableKeys: readonly string[];
  /** Stops timers and listeners (the audit log is closed separately, last). */
  stop(): void;
}

export async function createPolicies(options: PolicyOptions): Promise<Policies> {
  // The audit log comes first: loading the registry and every later policy decision write to it.
  const audit = createAuditLog({ file: options.auditFile });
  let registry: TenantRegistry;
  try {
    registry = await loadTenantRegistry(options.tenantsFile, { audit });
  } catch (error) {
    await audit.close();
    throw error;
  }

  const resolve = createTenantResolver(registry, {
    audit,
    realm: 'tenant-gateway',
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });

  // Under event-loop or heap pressure the telemetry budgets halve; request limits stay as planned.
  const pressure = createPressureMonitor();
  const limiter = createTenantLimiter({
    limitsFor: (id) => registry.get(id)?.limits,
    audit,
    pressure,
  });
  // A plan or limit change in the registry applies at the tenant's next request.
  const unsubscribe = registry.onChange((change) => limiter.refreshLimits(change.tenantId));

  const { env, demoKeysUsed } = withDemoKeys(options.env);
  const cipher = createTenantCipher({
    keysFor: (id) => registry.get(id)?.config.encryption,
    env,
    audit,
  });
  const redactor = createRedactor({ policyFor: (id) => registry.get(id)?.config.redaction, cipher });
  const unusableKeys = registry
    .ids()
    .filter((id) => registry.get(id)?.config.encryption !== undefined && !cipher.canEncrypt(id));

  return {
    audit,
    registry,
    resolve,
    limiter,
    pressure,
    cipher,
    redactor,
    demoKeysUsed,
    unusableKeys,
    stop() {
      unsubscribe();
      // Flushes the pending `rate_limit.exceeded` counts to the audit log.
      limiter.close();
      pressure.stop();
    },
  };
}
