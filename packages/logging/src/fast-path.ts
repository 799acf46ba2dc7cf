// Makes a winston Logger cheap to call while keeping it a real winston Logger (transports,
// formats, levels, child(), isLevelEnabled, add/remove):
//  - level methods and `log` return at once when no transport would take the level, before winston
//    builds the info object;
//  - `write` applies `logger.format` and hands the record to each transport's `_write` (its level,
//    silent, handleExceptions and own format checks) directly, instead of pushing it through
//    winston's readable-stream pipeline to the piped transports.
import type { Logger } from 'winston';
import type TransportStream from 'winston-transport';

const LEVEL = Symbol.for('level');

type Info = Record<string | symbol, unknown>;
type LevelMethod = (this: Logger | undefined, ...args: unknown[]) => Logger;

interface Internals {
  levels: Record<string, number>;
  level: string;
  silent?: boolean;
  format: { transform(info: Info, options: unknown): Info | boolean; options?: unknown };
  _readableState: { pipes: TransportStream | TransportStream[] | null | undefined };
  _writableState: { ending: boolean };
}

export function installFastPath(root: Logger): void {
  const self = root as unknown as Internals & Record<string, unknown>;
  const proto = Object.getPrototypeOf(root) as Record<string, LevelMethod>;

  /** `logger.isLevelEnabled(level)` for a level value, without allocating. */
  const enabled = (logger: Internals, value: number): boolean => {
    const levels = logger.levels;
    let max = levels[logger.level];
    if (max === undefined) return false;
    if (value <= max) return true;
    const pipes = self._readableState.pipes;
    if (pipes === null || pipes === undefined) return false;
    if (!Array.isArray(pipes)) {
      const own = pipes.level === undefined ? undefined : levels[pipes.level];
      return own !== undefined && value <= own;
    }
    for (const transport of pipes) {
      const own = transport.level === undefined ? undefined : levels[transport.level];
      if (own !== undefined && own > max) max = own;
    }
    return value <= max;
  };

  for (const level of Object.keys(self.levels)) {
    const original = proto[level];
    if (typeof original !== 'function' || level === 'log') continue;
    const guarded: LevelMethod = function (this: Logger | undefined, ...args: unknown[]): Logger {
      const logger = this ?? root;
      const value = (logger as unknown as Internals).levels[level];
      if (value !== undefined && !enabled(logger as unknown as Internals, value)) return logger;
      return original.apply(logger, args);
    };
    self[level] = guarded;
  }

  const originalLog = proto.log as LevelMethod;
  const guardedLog: LevelMethod = function (this: Logger | undefined, ...args: unknown[]): Logger {
    const logger = this ?? root;
    const first = args[0];
    const level =
      typeof first === 'string'
        ? first
        : typeof first === 'object' && first !== null
          ? (first as Info).level
          : undefined;
    const value = typeof level === 'string' ? (logger as unknown as Internals).levels[level] : undefined;
    if (value !== undefined && !enabled(logger as unknown as Internals, value)) return logger;
    return originalLog.apply(logger, args);
  };
  self.log = guardedLog;

  const onTransportDone = (error?: unknown): void => {
    if (error) root.emit('error', error);
  };
  const deliver = (transport: TransportStream, info: Info): void => {
    try {
      // winston-transport's own write step: silent, handleExceptions, level and format checks.
      (transport as unknown as { _write(info: Info, enc: string, cb: (e?: unknown) => void): void })._write(
        info,
        'utf8',
        onTransportDone,
      );
    } catch (error) {
      // Never throw into the caller's log statement.
      root.emit('error', error);
    }
  };

  self.write = (info: Info): boolean => {
    if (self.silent === true || self._writableState.ending) return false;
    if (!info[LEVEL]) info[LEVEL] = info.level;
    const formatter = self.format;
    const out = formatter.transform(info, formatter.options);
    if (!out) return true;
    const record = out as Info;
    const pipes = self._readableState.pipes;
    if (Array.isArray(pipes)) for (const transport of pipes) deliver(transport, record);
    else if (pipes !== null && pipes !== undefined) deliver(pipes, record);
    return true;
  };
}
