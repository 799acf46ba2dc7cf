// jest.config.js runs every suite of this package on the pinned bullmq and on the lowest one the peer
// range admits; this checks that each project really loads the copy it names.
import { join } from 'node:path';
import { peersInForce } from '@autoweave/test-utils';

it('runs on the bullmq version its jest project names, inside the peer range', () => {
  const [bullmq] = peersInForce(join(__dirname, '..'));
  expect(bullmq?.name).toBe('bullmq');
  expect(bullmq?.inRange).toBe(true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy jest maps `bullmq` to
  expect((require('bullmq/package.json') as { version: string }).version).toBe(bullmq?.version);
  expect(require.resolve('bullmq')).toContain(`/bullmq@${bullmq?.version}`);
});
