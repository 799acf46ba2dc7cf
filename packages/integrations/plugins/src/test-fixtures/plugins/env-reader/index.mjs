// Test fixture: a worker plugin granted the env permission reads the environment.
export function execute() {
  return { value: process.env.PLUGIN_FIXTURE_VALUE ?? null };
}
