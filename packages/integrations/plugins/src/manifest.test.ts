import { PluginManifestError, validatePluginManifest } from './index';

const valid = { name: 'echo', version: '1.2.3', entry: 'index.mjs' };

function problemsOf(value: unknown, rules: Parameters<typeof validatePluginManifest>[1] = {}) {
  try {
    validatePluginManifest(value, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginManifestError);
    return (error as PluginManifestError).problems;
  }
  throw new Error('expected the manifest to be refused');
}

describe('validatePluginManifest', () => {
  test('applies the defaults to a minimal manifest', () => {
    expect(validatePluginManifest(valid)).toEqual({
      name: 'echo',
      version: '1.2.3',
      entry: 'index.mjs',
      permissions: [],
      timeoutMs: 5000,
      isolation: 'in-process',
    });
    expect(validatePluginManifest(valid, { defaultTimeoutMs: 250 }).timeoutMs).toBe(250);
  });

  test('lists every broken field at once, each with what to change', () => {
    const problems = problemsOf(
      {
        name: 'Bad Name',
        version: 'one',
        entry: '../escape.mjs',
        permissions: ['network', 'root', 'network'],
        timeoutMs: -1,
        isolation: 'vm',
        timeout: 100,
      },
      { allowedPermissions: ['network'] },
    );
    expect(problems.map((p) => p.path)).toEqual([
      'name',
      'version',
      'entry',
      'permissions[1]',
      'permissions[2]',
      'timeoutMs',
      'isolation',
      'timeout',
    ]);
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    expect(byPath.get('entry')).toMatch(/must stay inside the plugin's directory/);
    expect(byPath.get('permissions[1]')).toMatch(/not a known permission; use one of network, filesystem/);
    expect(byPath.get('permissions[2]')).toMatch(/listed twice/);
    expect(byPath.get('timeout')).toMatch(/did you mean "timeoutMs"/);
  });

  test('says every problem in the error message as "path: what to change"', () => {
    expect(() => validatePluginManifest({ ...valid, version: '1.0' }, {}, 'echo')).toThrow(
      'plugin "echo": invalid manifest:\n  version: "1.0" must be a semantic version such as "1.0.0" or "2.1.0-beta.1"',
    );
  });

  test('refuses a permission the loader does not grant, and says how to grant it', () => {
    const problems = problemsOf(
      { ...valid, permissions: ['env', 'network'] },
      { allowedPermissions: ['env'] },
    );
    expect(problems).toEqual([
      {
        path: 'permissions[1]',
        message:
          '"network" is not granted by this loader (allowedPermissions: env); remove it, or have the operator add it to allowedPermissions',
      },
    ]);
    expect(problemsOf({ ...valid, permissions: ['env'] })[0]?.message).toMatch(/allowedPermissions: none/);
  });

  test('requires the name to equal the directory it is in', () => {
    expect(problemsOf(valid, { directoryName: 'other' })).toEqual([
      { path: 'name', message: '"echo" must equal the plugin\'s directory name "other"; rename one of them' },
    ]);
  });

  test('refuses absolute entries, entries that are not ES modules, and timeouts above the maximum', () => {
    expect(problemsOf({ ...valid, entry: '/etc/passwd' }).map((p) => p.message)).toEqual([
      '"/etc/passwd" must end in .mjs or .js (an ES module)',
      '"/etc/passwd" must be relative to the plugin\'s directory, not absolute',
    ]);
    expect(problemsOf({ ...valid, timeoutMs: 90_000 }, { maxTimeoutMs: 60_000 })).toEqual([
      { path: 'timeoutMs', message: "90000 is above this loader's maxTimeoutMs (60000); lower it" },
    ]);
  });

  test('a manifest may ask for a worker, but cannot move out of one the loader requires', () => {
    expect(validatePluginManifest({ ...valid, isolation: 'worker' }).isolation).toBe('worker');
    expect(
      validatePluginManifest({ ...valid, isolation: 'in-process' }, { isolation: 'worker' }).isolation,
    ).toBe('worker');
  });

  test('refuses what is not a JSON object', () => {
    expect(problemsOf([valid])).toEqual([
      {
        path: 'plugin.json',
        message: expect.stringMatching(/must hold a JSON object with name, version and entry/),
      },
    ]);
  });
});
