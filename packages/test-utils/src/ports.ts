// Loopback ports for tests.
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound, then released: fine for tests on one machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() =>
        port === 0 ? reject(new Error('could not allocate a loopback port')) : resolve(port),
      );
    });
  });
}
