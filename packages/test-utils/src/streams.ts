// Writable streams for tests and benchmarks: one that keeps JSON lines, one that discards.
import { Writable } from 'node:stream';

export interface CapturedLines {
  readonly stream: Writable;
  /** Every non-empty line written so far, as written. */
  raw(): string[];
  /** Every line parsed as JSON. */
  records(): Record<string, unknown>[];
}

/** A stream that keeps what a logger writes, split into lines. */
export function captureJsonLines(): CapturedLines {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    stream,
    raw: () => lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A stream that accepts and drops everything, so output costs nothing and stays quiet. */
export function discardStream(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
