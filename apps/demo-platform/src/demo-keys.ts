// The demo's plaintext API keys, whose hashes are in tenants.yaml. Public on purpose: printed at
// startup so anyone can try the demo; they protect nothing. Real deployments keep only hashes.

/** API keys of the demo tenants acme and globex. Demo only: anyone who reads this file has them. */
export const DEMO_KEYS: Readonly<Record<'acme' | 'globex', string>> = Object.freeze({
  acme: 'awk_demo_platform_acme_NOT_SECRET_0001',
  globex: 'awk_demo_platform_globex_NOT_SECRET_0001',
});
