// Every suite runs on the graphql the lockfile pins and on the lowest one `^16.10.0` admits (graphql-yoga
// brings its own, newer @envelop/core); the plain-envelop suite also runs on the lowest @envelop/core
// (5.2.3, the first with the `instrumentation` hook the plugin relies on).
module.exports = require('../../../jest.preset.js').peerProjects(
  __dirname,
  {
    pinned: { graphql: 'graphql', '@envelop/core': '@envelop/core' },
    'lowest graphql of the peer range': { graphql: 'graphql-lowest' },
    'lowest of both peer ranges, plain envelop': {
      graphql: 'graphql-lowest',
      '@envelop/core': 'envelop-core-lowest',
    },
  },
  { 'lowest of both peer ranges, plain envelop': { testMatch: ['<rootDir>/src/envelop-server.test.ts'] } },
);
