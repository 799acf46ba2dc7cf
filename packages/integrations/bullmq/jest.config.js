// Every suite runs on the bullmq the lockfile pins and on the lowest version `^6.0.0` admits.
module.exports = require('../../../jest.preset.js').peerProjects(__dirname, {
  pinned: { bullmq: 'bullmq' },
  'lowest of the peer range': { bullmq: 'bullmq-lowest' },
});
