// The instrumentation scope of our spans; a test keeps the version equal to package.json's.
export const PACKAGE_NAME = '@autoweave/integration-bullmq';
export const PACKAGE_VERSION = '0.1.0';
