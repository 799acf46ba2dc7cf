// Test fixture: a module without an execute function.
export const run = () => 'wrong name';
