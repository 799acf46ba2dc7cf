// The `redact` hook of `@autoweave/logging`: redacts a log record in place, leaving alone the fields
// the logger writes itself, and drops the record when redaction cannot be trusted.
import type { RedactableLogRecord, RedactionCounts } from './redact-types';
import { setOwn, uniqueKey, type ValueWalker } from './redact-walk';

/** Fields of a log record that the logging package always sets itself; the redactor leaves them alone. */
const LOG_FIELDS_KEPT = new Set(['level', 'timestamp', 'service', 'environment', 'tenant_id']);
/**
 * Correlation fields the logging package sets only inside a valid span: kept when they are the hex
 * ids it writes, redacted like any field when a caller put something else there.
 */
const LOG_FIELDS_HEX = new Set(['trace_id', 'span_id', 'trace_flags']);
const HEX_ID = /^[0-9a-f]{2,32}$/;

/** The log hook of one redactor, walking records with its walker and counting in its counters. */
export function createLogHook(
  walker: ValueWalker,
  counts: RedactionCounts,
): (logRecord: RedactableLogRecord) => RedactableLogRecord | false {
  const { newWalk, walk, entry, outputKey } = walker;
  const logHook = (logRecord: RedactableLogRecord): RedactableLogRecord | false => {
    try {
      const tenant = logRecord.tenant_id;
      const w = newWalk(typeof tenant === 'string' ? tenant : undefined);
      if (w.policy.failClosed) {
        counts.failed++;
        return false;
      }
      w.ancestors.push(logRecord);
      const target = logRecord as Record<string, unknown>;
      for (const key of Object.keys(target)) {
        if (LOG_FIELDS_KEPT.has(key)) continue;
        const value = target[key];
        if (LOG_FIELDS_HEX.has(key) && typeof value === 'string' && HEX_ID.test(value)) continue;
        const redacted = key === 'message' ? walk(value, 1, w) : entry(key, value, 1, w);
        const name = outputKey(key);
        if (name !== key) {
          delete target[key];
          setOwn(target, uniqueKey(target, name), redacted);
        } else if (redacted !== value) setOwn(target, key, redacted);
      }
      return logRecord;
    } catch {
      // Writing the record could leak what redaction was meant to remove.
      counts.failed++;
      return false;
    }
  };
  return logHook;
}
