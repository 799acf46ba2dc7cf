// GDPR requests against an audit log file that no live log of this process is writing (an
// archive, or a log between runs): export a data subject's entries, or erase them.

import { basename } from 'node:path';
import { AUDIT_MAX_SUBJECT_LENGTH, auditIdentifier, type AuditEntry } from './audit-format';
import { createAuditLog, type AuditSubjectOptions } from './audit-log';
import { readSubjectEntries } from './audit-store';
import type { AuditSink } from './policy-types';

export interface AuditExportOptions extends AuditSubjectOptions {
  /**
   * Where to record the `gdpr.export` entry, e.g. the live log when reading an archive.
   * Default: the file itself (its chain is continued), so every export is audited.
   */
  readonly audit?: AuditSink;
}

/**
 * The data subject's entries in `file`, in order (erased entries no longer name a subject). The
 * export is recorded as `gdpr.export` with the subject and the number of entries. For a file a
 * live log is writing, call that log's `exportSubject` instead (this one refuses such a file).
 */
export async function exportAuditSubject(
  file: string,
  subject: string,
  options: AuditExportOptions = {},
): Promise<AuditEntry[]> {
  const { audit, ...subjectOptions } = options;
  if (audit === undefined) return withLog(file, (log) => log.exportSubject(subject, subjectOptions));
  const wanted = typeof subject === 'string' ? auditIdentifier(subject, AUDIT_MAX_SUBJECT_LENGTH) : undefined;
  if (wanted === undefined) throw new TypeError('exportAuditSubject: subject must be a non-empty string');
  const tenant = subjectOptions.tenant;
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) {
    throw new TypeError('exportAuditSubject: options.tenant must be a non-empty string when given');
  }
  const entries = await readSubjectEntries(file, { subject: wanted, tenant });
  audit.record({
    type: 'gdpr.export',
    ...(tenant !== undefined ? { tenant } : {}),
    subject: wanted,
    data: { ...subjectOptions.data, file: basename(file), entries: entries.length },
  });
  return entries;
}

/**
 * Erases the data subject's entries in `file` (see `AuditLog.eraseSubject`): the file is rewritten
 * atomically and ends with a `gdpr.erase` entry giving the count, so the chain still verifies and
 * the erasure is itself audited. Resolves to the number of entries erased. Refuses a file a live
 * log of this process is writing; never run it on a file another process is appending to.
 */
export async function eraseAuditSubject(
  file: string,
  subject: string,
  options: AuditSubjectOptions = {},
): Promise<number> {
  return withLog(file, (log) => log.eraseSubject(subject, options));
}

async function withLog<T>(
  file: string,
  operation: (log: ReturnType<typeof createAuditLog>) => Promise<T>,
): Promise<T> {
  const log = createAuditLog({ file });
  let result: T;
  try {
    result = await operation(log);
  } catch (err) {
    await log.close().catch(() => undefined);
    throw err;
  }
  await log.close();
  return result;
}
