// File access for audit logs: bounded line reading, the tail read that lets a log resume its
// chain, and the atomic rewrite (temp file, fsync, rename) that erasure uses.

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { parseAuditLine, type AuditEntry } from './audit-format';

/** Longest line read by default; lines written by createAuditLog stay far below it. */
export const AUDIT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * A piece of a line. Lines up to the limit come whole (`last` true); longer lines come as several
 * `overlong` pieces so they can be copied without being held in memory.
 */
export interface LineSegment {
  /** 1-based line number. */
  readonly lineNo: number;
  readonly buf: Buffer;
  /** The final piece of the line. */
  readonly last: boolean;
  readonly overlong: boolean;
  /** The line ended with "\n" (false only for a last line cut short). */
  readonly newline: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Splits a byte stream on "\n", holding at most `maxLineBytes` of one line in memory. */
export async function* splitLines(
  source: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<LineSegment> {
  let parts: Buffer[] = [];
  let length = 0;
  let overlong = false;
  let lineNo = 1;
  for await (const input of source) {
    const chunk = typeof input === 'string' ? Buffer.from(input) : input;
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!overlong && length + piece.length > maxLineBytes) {
        overlong = true;
        for (const part of parts) yield { lineNo, buf: part, last: false, overlong, newline: false };
        parts = [];
        length = 0;
      }
      if (overlong) {
        if (piece.length > 0)
          yield { lineNo, buf: Buffer.from(piece), last: false, overlong, newline: false };
      } else if (piece.length > 0) {
        parts.push(Buffer.from(piece));
        length += piece.length;
      }
      if (nl === -1) break;
      yield {
        lineNo,
        buf: overlong ? EMPTY : Buffer.concat(parts, length),
        last: true,
        overlong,
        newline: true,
      };
      parts = [];
      length = 0;
      overlong = false;
      lineNo++;
      start = nl + 1;
    }
  }
  if (length > 0 || overlong) {
    yield {
      lineNo,
      buf: overlong ? EMPTY : Buffer.concat(parts, length),
      last: true,
      overlong,
      newline: false,
    };
  }
}

/** The lines of a file (optionally only its first `endBytes`), read as a stream. */
export function readFileLines(
  file: string,
  maxLineBytes: number,
  endBytes?: number,
): AsyncGenerator<LineSegment> {
  if (endBytes === 0) return splitLines(nothing(), maxLineBytes);
  const stream =
    endBytes === undefined ? createReadStream(file) : createReadStream(file, { start: 0, end: endBytes - 1 });
  return splitLines(stream as AsyncIterable<Buffer>, maxLineBytes);
}

async function* nothing(): AsyncGenerator<Buffer> {}

/** The end of a file as seen when a log opens it. */
export interface FileTail {
  readonly size: number;
  /** The last line, without its newline; undefined for an empty file. */
  readonly last?: string;
  readonly lastHasNewline: boolean;
  /** The line before the last one, when it was read. */
  readonly previous?: string;
  /** The last line is the file's only line. */
  readonly onlyLine: boolean;
}

const TAIL_BYTES = 2 * 1024 * 1024;

/** Reads the last two lines of `file` (creating it with `mode` if missing) synchronously. */
export function readFileTail(file: string, mode: number): FileTail {
  const fd = openSync(file, 'a+', mode);
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { size, lastHasNewline: true, onlyLine: false };
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buf, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    const text = buf.subarray(0, read);
    const lastHasNewline = text[text.length - 1] === 10;
    const lines: string[] = [];
    let end = lastHasNewline ? text.length - 1 : text.length;
    let reachedStart = false;
    while (lines.length < 2) {
      // (Buffer#lastIndexOf counts a negative offset from the end, so never pass one.)
      const nl = end > 0 ? text.lastIndexOf(10, end - 1) : -1;
      // A line whose start was not read is unknown, unless the read began at the file's start.
      if (nl === -1 && length < size) break;
      lines.push(text.toString('utf8', nl + 1, end));
      if (nl === -1) {
        reachedStart = true;
        break;
      }
      end = nl;
    }
    const tail: FileTail = { size, lastHasNewline, onlyLine: reachedStart && lines.length === 1 };
    return {
      ...tail,
      ...(lines[0] !== undefined ? { last: lines[0] } : {}),
      ...(lines[1] !== undefined ? { previous: lines[1] } : {}),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Rewrites `file` atomically: every line goes through `mapLine` (undefined keeps its bytes), then
 * `trailer()` is appended as a last line. The result is written to a temp file beside `file`,
 * fsynced and renamed over it, so readers see the old file or the new one, never a mix.
 */
export async function rewriteFile(
  file: string,
  mapLine: (line: Buffer) => string | undefined,
  trailer: () => string,
  maxLineBytes = AUDIT_MAX_LINE_BYTES,
): Promise<void> {
  const { mode } = await stat(file);
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const out = await open(temp, 'wx', mode & 0o777);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flushPending = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const buf = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    let offset = 0;
    while (offset < buf.length) offset += (await out.write(buf, offset, buf.length - offset)).bytesWritten;
  };
  const push = async (buf: Buffer): Promise<void> => {
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes >= 64 * 1024) await flushPending();
  };
  const NEWLINE = Buffer.from('\n');
  let closed = false;
  try {
    let endsWithNewline = true;
    for await (const seg of readFileLines(file, maxLineBytes)) {
      if (seg.overlong) {
        await push(seg.buf);
      } else {
        const mapped = mapLine(seg.buf);
        await push(mapped === undefined ? seg.buf : Buffer.from(mapped));
      }
      if (seg.last && seg.newline) await push(NEWLINE);
      endsWithNewline = seg.last ? seg.newline : false;
    }
    if (!endsWithNewline) await push(NEWLINE);
    await push(Buffer.from(`${trailer()}\n`));
    await flushPending();
    await out.sync();
    await out.close();
    closed = true;
    await rename(temp, file);
  } catch (err) {
    if (!closed) await out.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(file));
}

/** Makes a rename durable; some platforms cannot open directories, which is then not an error. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the rename itself already happened.
  }
}

/** Filters for {@link readSubjectEntries}. */
export interface SubjectFilter {
  readonly subject: string;
  /** Only entries of this tenant. */
  readonly tenant?: string | undefined;
  /** Read only the first `endBytes` of the file. */
  readonly endBytes?: number | undefined;
  readonly maxLineBytes?: number | undefined;
}

/** The well-formed, complete entries of one data subject, in file order. */
export async function readSubjectEntries(file: string, filter: SubjectFilter): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const seg of readFileLines(file, filter.maxLineBytes ?? AUDIT_MAX_LINE_BYTES, filter.endBytes)) {
    if (seg.overlong || !seg.newline) continue;
    const parsed = parseAuditLine(seg.buf.toString('utf8'));
    if (!parsed.ok || parsed.entry.subject !== filter.subject) continue;
    if (filter.tenant !== undefined && parsed.entry.tenant !== filter.tenant) continue;
    entries.push(parsed.entry);
  }
  return entries;
}
