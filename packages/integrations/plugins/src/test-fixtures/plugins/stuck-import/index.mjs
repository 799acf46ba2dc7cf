// Test fixture: its top-level await never settles, so importing it never finishes.
await new Promise(() => {});
export function execute() {
  return 'unreachable';
}
