// Verification of an audit log: recomputes every entry's hashes and links and reports the first
// line where the file stops being the chain that was written.

import { AUDIT_GENESIS_HASH, checkAuditEntry, parseAuditLine, type AuditHead } from './audit-format';
import { AUDIT_MAX_LINE_BYTES, readFileLines } from './audit-store';

/** Why a line breaks the chain. */
export type AuditBreakReason =
  /** Not an entry: bad JSON, a missing or unknown field, an empty or over-long line. */
  | 'malformed'
  /** The last line is cut short (no newline, not JSON). */
  | 'truncated'
  /** `subject`/`data` do not hash to `content`: they were edited. */
  | 'content_mismatch'
  /** The chained fields (or `prev`) do not hash to `hash`: the line was edited. */
  | 'hash_mismatch'
  /** `prev` is not the previous entry's `hash`: an entry before it was edited and re-hashed, or removed. */
  | 'prev_mismatch'
  /** `seq` is not one more than the previous entry's: lines were deleted, inserted or reordered. */
  | 'seq_gap'
  /** The entry at `expectedHead.seq` has another hash, or the file ends before it. */
  | 'head_mismatch'
  /** Erased entries that no later `gdpr.erase` entry accounts for (or a count that disagrees). */
  | 'erasure_unaccounted';

export interface AuditBreak {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The entry's `seq`, when the line could be read. */
  readonly seq?: number;
  readonly reason: AuditBreakReason;
  /** What exactly disagreed, for humans. */
  readonly detail: string;
}

export interface AuditVerifyOptions {
  /**
   * A head stored elsewhere earlier (from `AuditLog.head()` after `flush()`): the entry with that
   * `seq` must exist with that `hash`. This is what detects lines cut from the end of the file.
   */
  readonly expectedHead?: AuditHead;
  /**
   * Where the file's chain starts: the head of the file it continues (rotation) or the `start`
   * a stream log was given. Default: a new chain (first `seq` 1, `prev` 64 zeros).
   */
  readonly start?: AuditHead;
  /** Longer lines are reported as malformed without being held in memory. Default 1 MiB. */
  readonly maxLineBytes?: number;
}

export interface AuditVerifyResult {
  readonly ok: boolean;
  /** Entries that verified (all of them when `ok`). */
  readonly entries: number;
  /** How many of those were erased (GDPR) and accounted for. */
  readonly erased: number;
  /** Lines cut short by a crash and bridged by an `audit.resume` entry. */
  readonly torn: number;
  /** The last entry that verified. */
  readonly head?: AuditHead;
  /** The first line that does not verify; absent when `ok`. */
  readonly firstBroken?: AuditBreak;
}

/** More open erasures than this is not a log we wrote; stop rather than grow without bound. */
const MAX_OPEN_ERASURES = 10_000;

class ChainVerifier {
  private expectedSeq: number;
  private expectedPrev: string;
  private entries = 0;
  private erased = 0;
  private torn = 0;
  private lastLine = 0;
  private head: AuditHead | undefined;
  private headSeen = false;
  private tornLine: { line: number; newline: boolean } | undefined;
  /** seq of a future gdpr.erase entry → erased entries naming it so far. */
  private readonly openErasures = new Map<number, { count: number; line: number; seq: number }>();
  broken: AuditBreak | undefined;

  constructor(private readonly options: AuditVerifyOptions) {
    this.expectedSeq = (options.start?.seq ?? 0) + 1;
    this.expectedPrev = options.start?.hash ?? AUDIT_GENESIS_HASH;
  }

  /** Checks one line; false once the chain is broken. `text` is undefined for an over-long line. */
  push(line: number, text: string | undefined, newline: boolean): boolean {
    this.lastLine = line;
    if (text === undefined)
      return this.fail(line, 'malformed', undefined, 'line is longer than maxLineBytes');
    if (text.length === 0) return this.fail(line, 'malformed', undefined, 'empty line');
    const parsed = parseAuditLine(text);
    if (!parsed.ok) {
      // A write cut short by a crash is allowed once, when the log bridged it with audit.resume.
      if (parsed.notJson && this.tornLine === undefined) {
        this.tornLine = { line, newline };
        return true;
      }
      return this.failTorn() ?? this.fail(line, 'malformed', undefined, parsed.detail);
    }
    const entry = parsed.entry;
    if (this.tornLine !== undefined) {
      if (entry.type !== 'audit.resume') return this.failTorn() ?? false;
      this.tornLine = undefined;
      this.torn++;
    }
    const mismatch = checkAuditEntry(entry);
    if (mismatch === 'content_mismatch') {
      return this.fail(line, mismatch, entry.seq, 'subject/data do not match the content hash');
    }
    if (mismatch === 'hash_mismatch')
      return this.fail(line, mismatch, entry.seq, 'the entry does not match its hash');
    if (entry.seq !== this.expectedSeq) {
      return this.fail(line, 'seq_gap', entry.seq, `expected seq ${this.expectedSeq}, found ${entry.seq}`);
    }
    if (entry.prev !== this.expectedPrev) {
      return this.fail(line, 'prev_mismatch', entry.seq, 'prev is not the hash of the entry before');
    }
    if (!this.account(line, entry.seq, entry.type, entry.erasedBy, entry.data)) return false;
    if (this.options.expectedHead?.seq === entry.seq) {
      this.headSeen = true;
      if (this.options.expectedHead.hash !== entry.hash) {
        return this.fail(line, 'head_mismatch', entry.seq, 'the entry differs from the expected head');
      }
    }
    this.entries++;
    this.head = { seq: entry.seq, hash: entry.hash };
    this.expectedSeq = entry.seq + 1;
    this.expectedPrev = entry.hash;
    return true;
  }

  /** Erased entries must be matched, in number, by the gdpr.erase entry they name. */
  private account(
    line: number,
    seq: number,
    type: string,
    erasedBy: number | undefined,
    data: unknown,
  ): boolean {
    if (erasedBy !== undefined) {
      const open = this.openErasures.get(erasedBy);
      if (open !== undefined) open.count++;
      else if (this.openErasures.size >= MAX_OPEN_ERASURES) {
        return this.fail(
          line,
          'erasure_unaccounted',
          seq,
          'too many erasures waiting for their gdpr.erase entry',
        );
      } else this.openErasures.set(erasedBy, { count: 1, line, seq });
      this.erased++;
    }
    const open = this.openErasures.get(seq);
    this.openErasures.delete(seq);
    if (type === 'gdpr.erase') {
      const claimed = (data as { erased?: unknown } | undefined)?.erased;
      const found = open?.count ?? 0;
      if (claimed !== found) {
        return this.fail(
          line,
          'erasure_unaccounted',
          seq,
          `gdpr.erase says ${JSON.stringify(claimed) ?? 'nothing'} entries were erased, ${found} name it`,
        );
      }
    } else if (open !== undefined) {
      return this.fail(
        open.line,
        'erasure_unaccounted',
        open.seq,
        `erased by entry ${seq}, which is not gdpr.erase`,
      );
    }
    return true;
  }

  finish(): AuditVerifyResult {
    if (this.broken === undefined && this.tornLine !== undefined) {
      const { line, newline } = this.tornLine;
      this.fail(
        line,
        newline ? 'malformed' : 'truncated',
        undefined,
        newline ? 'not valid JSON' : 'line cut short',
      );
    }
    if (this.broken === undefined) {
      const first = [...this.openErasures.values()].sort((a, b) => a.line - b.line)[0];
      if (first !== undefined)
        this.fail(first.line, 'erasure_unaccounted', first.seq, 'no gdpr.erase entry for it');
    }
    const expected = this.options.expectedHead;
    if (this.broken === undefined && expected !== undefined && !this.headSeen) {
      this.fail(this.lastLine + 1, 'head_mismatch', expected.seq, `the file ends before seq ${expected.seq}`);
    }
    return {
      ok: this.broken === undefined,
      entries: this.entries,
      erased: this.erased,
      torn: this.torn,
      ...(this.head !== undefined ? { head: this.head } : {}),
      ...(this.broken !== undefined ? { firstBroken: this.broken } : {}),
    };
  }

  private failTorn(): false | undefined {
    if (this.tornLine === undefined) return undefined;
    return this.fail(this.tornLine.line, 'malformed', undefined, 'not valid JSON');
  }

  private fail(line: number, reason: AuditBreakReason, seq: number | undefined, detail: string): false {
    this.broken = { line, reason, detail, ...(seq !== undefined ? { seq } : {}) };
    return false;
  }
}

/** Verifies lines already in memory (each one line of the file, without its newline). */
export function verifyAuditLines(
  lines: Iterable<string>,
  options: AuditVerifyOptions = {},
): AuditVerifyResult {
  const verifier = new ChainVerifier(options);
  let line = 0;
  for (const text of lines) {
    if (!verifier.push(++line, text, true)) break;
  }
  return verifier.finish();
}

/**
 * Verifies an audit log file, streaming it line by line (memory stays bounded by
 * `maxLineBytes`). Stops at the first broken line. Rejects only when the file cannot be read.
 */
export async function verifyAuditLog(
  file: string,
  options: AuditVerifyOptions = {},
): Promise<AuditVerifyResult> {
  const verifier = new ChainVerifier(options);
  for await (const seg of readFileLines(file, options.maxLineBytes ?? AUDIT_MAX_LINE_BYTES)) {
    if (!seg.last) continue;
    const text = seg.overlong ? undefined : seg.buf.toString('utf8');
    if (!verifier.push(seg.lineNo, text, seg.newline)) break;
  }
  return verifier.finish();
}
