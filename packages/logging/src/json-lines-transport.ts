// The stdout (or any stream) output: one JSON line per record, as winston's Stream transport
// writes it, without its per-record setImmediate for the 'logged' event.
import { EOL } from 'node:os';
import TransportStream from 'winston-transport';
import { MESSAGE } from './record-format';

export class JsonLinesTransport extends TransportStream {
  readonly #stream: NodeJS.WritableStream;
  readonly #objectMode: boolean;

  constructor(stream: NodeJS.WritableStream) {
    super({});
    this.#stream = stream;
    this.#objectMode =
      (stream as { _writableState?: { objectMode?: boolean } })._writableState?.objectMode === true;
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    if (this.#objectMode) this.#stream.write(info as unknown as string);
    else this.#stream.write(`${info[MESSAGE] as string}${EOL}`);
    next();
  }
}
