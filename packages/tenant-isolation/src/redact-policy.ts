// A tenant's redaction policy as the redactor uses it: deny and sensitive lists compiled once per
// policy object, and a fail-closed policy for when `policyFor` throws or returns bad lists.
import { nameSet, type NameSet } from './redact-names';
import type { RedactionPolicy } from './policy-types';

export interface CompiledPolicy {
  readonly maskIps: boolean;
  readonly deny: NameSet | undefined;
  readonly sensitive: NameSet | undefined;
  /** Set when `policyFor` threw: values are masked rather than trusted to an unknown policy. */
  readonly failClosed: boolean;
}

export const NO_POLICY: CompiledPolicy = Object.freeze({
  maskIps: false,
  deny: undefined,
  sensitive: undefined,
  failClosed: false,
});
const MASK_IPS_ONLY: CompiledPolicy = Object.freeze({
  maskIps: true,
  deny: undefined,
  sensitive: undefined,
  failClosed: false,
});
const FAIL_CLOSED: CompiledPolicy = Object.freeze({
  maskIps: true,
  deny: undefined,
  sensitive: undefined,
  failClosed: true,
});

/**
 * The compiled policy of a tenant (none for work outside a tenant). Never throws: a `policyFor` that
 * throws, or lists that do not compile, give the fail-closed policy.
 */
export function createPolicyLookup(
  policyFor: ((tenantId: string) => RedactionPolicy | undefined) | undefined,
): (tenantId: string | undefined) => CompiledPolicy {
  const compiled = new WeakMap<RedactionPolicy, CompiledPolicy>();
  return (tenantId: string | undefined): CompiledPolicy => {
    if (tenantId === undefined || policyFor === undefined) return NO_POLICY;
    let policy: RedactionPolicy | undefined;
    try {
      policy = policyFor(tenantId);
    } catch {
      return FAIL_CLOSED;
    }
    if (policy === undefined || policy === null || typeof policy !== 'object') return NO_POLICY;
    // Most policies only choose IP masking: no lists to compile, whatever object they come in.
    if (policy.denyAttributes === undefined && policy.sensitiveAttributes === undefined) {
      return policy.maskIps === true ? MASK_IPS_ONLY : NO_POLICY;
    }
    let result = compiled.get(policy);
    if (result === undefined) {
      try {
        result = {
          maskIps: policy.maskIps === true,
          deny: policy.denyAttributes?.length ? nameSet(policy.denyAttributes, 'denyAttributes') : undefined,
          sensitive: policy.sensitiveAttributes?.length
            ? nameSet(policy.sensitiveAttributes, 'sensitiveAttributes')
            : undefined,
          failClosed: false,
        };
      } catch {
        return FAIL_CLOSED;
      }
      compiled.set(policy, result);
    }
    return result;
  };
}
