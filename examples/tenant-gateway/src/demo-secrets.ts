// The example's demo secrets: API keys whose hashes are in tenants.yaml and the encryption keys
// used when the `env:` variables of tenants.yaml are not set. Public on purpose; they protect nothing.

/** API keys matching the hashes in tenants.yaml. Demo only: anyone who reads this file has them. */
export const DEMO_API_KEYS = Object.freeze({
  acme: 'awk_demo_acme_primary_NOT_SECRET_0001',
  /** Revoked in tenants.yaml: refused with 401. */
  acmeRevoked: 'awk_demo_acme_retired_NOT_SECRET_0000',
  globex: 'awk_demo_globex_main_NOT_SECRET_0001',
  /** Only valid from 10.20.0.0/16: refused with 403 from 127.0.0.1. */
  initech: 'awk_demo_initech_office_NOT_SECRET_0001',
});

/** Encryption keys for the `env:` references of tenants.yaml. Demo only: set the variables to real keys. */
export const DEMO_ENCRYPTION_ENV: Readonly<Record<string, string>> = Object.freeze({
  ACME_TELEMETRY_KEY_2024_07: 'base64:jBBYUqBKmXwzEYNpm+Sm1WFyOSbJUQWYEp9HD2mh4r4=',
  ACME_TELEMETRY_KEY_2025_01: 'base64:nIMIzsj80KBdavHAJ20VZNEGDpLpHretAUkStdZnC+s=',
  GLOBEX_TELEMETRY_KEY_2025_01: 'base64:qdD7eLK3ghyP/rLz3GUgoMqzWe0jLAqMPbb1E1TMzEA=',
});

/**
 * The environment the tenant cipher reads keys from: `env`, with a demo key for every variable of
 * {@link DEMO_ENCRYPTION_ENV} it leaves unset. Returns the names that got a demo key.
 */
export function withDemoKeys(env: NodeJS.ProcessEnv): {
  env: Readonly<Record<string, string | undefined>>;
  demoKeysUsed: string[];
} {
  const demoKeysUsed = Object.keys(DEMO_ENCRYPTION_ENV).filter((name) => !env[name]);
  const filled: Record<string, string | undefined> = { ...env };
  for (const name of demoKeysUsed) filled[name] = DEMO_ENCRYPTION_ENV[name];
  return { env: filled, demoKeysUsed };
}
