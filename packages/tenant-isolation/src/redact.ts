// Masks personal data and secrets in log records and span attributes before they leave the process,
// and encrypts the attributes a tenant marks sensitive under that tenant's own key.
// This module puts the pieces together; each concern lives in its own redact-*.ts module.
import { createLogHook } from './redact-log-hook';
import { DEFAULT_DENY_ATTRIBUTES, nameSet } from './redact-names';
import { createPolicyLookup } from './redact-policy';
import { createTextMasker } from './redact-text';
import { REDACTION_MASKS, type RedactionCounts, type Redactor, type RedactorOptions } from './redact-types';
import { createValueWalker } from './redact-walk';

export { DEFAULT_DENY_ATTRIBUTES } from './redact-names';
export { REDACTION_MASKS } from './redact-types';
export type { RedactableLogRecord, RedactionKind, Redactor, RedactorOptions } from './redact-types';

/** Creates a redactor. See `RedactorOptions` for the limits; nothing it returns ever throws. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const maxDepth = positiveInteger('maxDepth', options.maxDepth, 8);
  const maxStringLength = positiveInteger('maxStringLength', options.maxStringLength, 65_536);
  const maxValues = positiveInteger('maxValues', options.maxValues, 10_000);
  if (options.policyFor !== undefined && typeof options.policyFor !== 'function') {
    throw new TypeError(
      'createRedactor policyFor must be a function (tenantId) => RedactionPolicy | undefined',
    );
  }
  const { policyFor, cipher } = options;
  const globalDeny = nameSet(
    [
      ...(options.defaultDenyAttributes === false ? [] : DEFAULT_DENY_ATTRIBUTES),
      ...(options.denyAttributes ?? []),
    ],
    'denyAttributes',
  );
  const counts: RedactionCounts = {
    email: 0,
    bearer: 0,
    api_key: 0,
    jwt: 0,
    card: 0,
    ip: 0,
    secret: 0,
    denied: 0,
    encrypted: 0,
    sensitive: 0,
    truncated: 0,
    circular: 0,
    depth: 0,
    binary: 0,
    unreadable: 0,
    limit: 0,
    failed: 0,
  };
  const policyOf = createPolicyLookup(policyFor);
  const text = createTextMasker(maxStringLength, counts);
  const walker = createValueWalker({
    maxDepth,
    maxStringLength,
    maxValues,
    cipher,
    globalDeny,
    counts,
    text,
    policyOf,
  });
  const { walk, record, newWalk } = walker;

  const tenantArg = (tenantId: unknown): string | undefined =>
    typeof tenantId === 'string' ? tenantId : undefined;

  return {
    redactString(value, tenantId) {
      try {
        if (typeof value !== 'string') return text(String(value), true);
        return text(value, policyOf(tenantArg(tenantId)).maskIps);
      } catch {
        counts.failed++;
        return REDACTION_MASKS.denied;
      }
    },

    redactAttributes(attributes, tenantId) {
      try {
        if (typeof attributes !== 'object' || attributes === null) return {};
        const w = newWalk(tenantArg(tenantId));
        w.ancestors.push(attributes);
        return record(attributes, 0, w);
      } catch {
        counts.failed++;
        return {};
      }
    },

    redactValue(value, tenantId) {
      try {
        return walk(value, 0, newWalk(tenantArg(tenantId)));
      } catch {
        counts.failed++;
        return REDACTION_MASKS.denied;
      }
    },

    logHook: createLogHook(walker, counts),

    stats() {
      return { ...counts };
    },
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`createRedactor ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
