// Shared Jest setup: TypeScript tests compiled as CommonJS by ts-jest without type checking
// (the `typecheck` task runs tsc over the tests instead, once, which is much faster).
module.exports = (rootDir) => ({
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
