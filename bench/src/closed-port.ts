// A loopback URL nothing listens on: the "backend down" case.
import { freePort } from '@autoweave/test-utils';

export async function closedPortUrl(scheme = 'http'): Promise<string> {
  return `${scheme}://127.0.0.1:${await freePort()}`;
}
