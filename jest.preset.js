// Shared Jest setup: TypeScript tests compiled as CommonJS by ts-jest without type checking
// (the `typecheck` task runs tsc over the tests instead, once, which is much faster).
const fs = require('node:fs');
const path = require('node:path');

const preset = (rootDir) => ({
  rootDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  // Real servers (Prometheus, gRPC peers) start in these tests; give them room on a 2-core machine.
  testTimeout: 60_000,
  // Fail loudly on handles a test forgot to close instead of hanging CI.
  forceExit: false,
  detectOpenHandles: false,
});

/** The folder and package.json of what `specifier` (a package name or an npm: alias) resolves to from rootDir. */
function installed(specifier, rootDir) {
  const file = require.resolve(`${specifier}/package.json`, { paths: [rootDir] });
  return { dir: path.dirname(file), json: JSON.parse(fs.readFileSync(file, 'utf8')) };
}

/**
 * Runs a package's tests once per set of peer versions, so the peer range in its package.json is a
 * tested one: `sets` maps a label to { peer name: specifier }, where the specifier is the peer itself
 * (the version the lockfile pins) or an npm: alias of it (`bullmq-lowest` → bullmq@6.0.0). Every
 * require of the peer, from the tests, our code or a library, goes to that copy. Tests read the
 * versions in force from the global `AUTOWEAVE_PEERS` ({ name: version }). A set whose label starts
 * with "lowest" must map each peer to the lowest version its range admits (`^6.0.0` → 6.0.0), so
 * widening a range without testing its new floor fails here.
 */
preset.peerProjects = (rootDir, sets, overrides = {}) => {
  const base = preset(rootDir);
  const ranges =
    JSON.parse(fs.readFileSync(path.join(rootDir, 'package.json'), 'utf8')).peerDependencies ?? {};
  const projects = Object.entries(sets).map(([label, peers]) => {
    const moduleNameMapper = {};
    const versions = {};
    for (const [name, specifier] of Object.entries(peers)) {
      const { dir, json } = installed(specifier, rootDir);
      if (json.name !== name) throw new Error(`jest.preset: ${specifier} is ${json.name}, not ${name}`);
      const range = ranges[name];
      if (range === undefined) throw new Error(`jest.preset: ${name} is not a peer dependency of ${rootDir}`);
      if (label.startsWith('lowest') && `^${json.version}` !== range)
        throw new Error(
          `jest.preset: "${label}" maps ${name} to ${json.version}, but the peer range is ${range}`,
        );
      versions[name] = json.version;
      const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      moduleNameMapper[`^${escaped}$`] = require.resolve(specifier, { paths: [rootDir] });
      moduleNameMapper[`^${escaped}/(.*)$`] = `${dir}/$1`;
    }
    const names = Object.entries(versions).map(([name, version]) => `${name} ${version}`);
    return {
      displayName: `${names.join(', ')} (${label})`,
      rootDir,
      testEnvironment: base.testEnvironment,
      testMatch: overrides[label]?.testMatch ?? base.testMatch,
      transform: base.transform,
      moduleNameMapper,
      globals: { AUTOWEAVE_PEERS: versions },
    };
  });
  return {
    testTimeout: base.testTimeout,
    forceExit: base.forceExit,
    detectOpenHandles: base.detectOpenHandles,
    projects,
  };
};

module.exports = preset;
