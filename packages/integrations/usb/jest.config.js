// Every suite runs on the usb the lockfile pins and on the lowest version `^3.0.0` admits.
module.exports = require('../../../jest.preset.js').peerProjects(__dirname, {
  pinned: { usb: 'usb' },
  'lowest of the peer range': { usb: 'usb-lowest' },
});
