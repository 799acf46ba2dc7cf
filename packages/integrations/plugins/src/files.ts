// Reading a plugin from disk: its directory, its manifest and its entry module, with every path
// resolved through symlinks and required to stay inside the plugins directory and the plugin's own.
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { PluginManifestError, PluginNotFoundError, messageOf } from './errors';
import { MANIFEST_FILE, PLUGIN_NAME_PATTERN, validatePluginManifest } from './manifest';
import type { ManifestRules, PluginManifest } from './types';

/** A manifest larger than this is not a manifest. */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** A plugin's checked files. */
export interface PluginFiles {
  readonly manifest: PluginManifest;
  readonly directory: string;
  readonly entryPath: string;
}

const isInside = (parent: string, child: string): boolean => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

const code = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** The names of the sub-directories of `root` that hold a manifest. */
export async function pluginDirectories(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    try {
      await stat(join(root, entry.name, MANIFEST_FILE));
      names.push(entry.name);
    } catch {
      // not a plugin directory
    }
  }
  return names.sort();
}

/** The real path of plugin `name`'s directory, or a typed error saying why there is none. */
async function pluginDirectory(root: string, name: string): Promise<string> {
  if (!PLUGIN_NAME_PATTERN.test(name)) {
    throw new PluginNotFoundError(
      String(name).slice(0, 80),
      'a plugin name is 1-63 lowercase letters, digits and dashes',
    );
  }
  let rootReal: string;
  let dir: string;
  try {
    rootReal = await realpath(root);
    dir = await realpath(join(rootReal, name));
  } catch (error) {
    throw new PluginNotFoundError(name, `no directory ${join(root, name)} (${messageOf(error)})`);
  }
  if (!isInside(rootReal, dir) || dir === rootReal) {
    throw new PluginManifestError(name, [
      {
        path: 'directory',
        message: `${join(root, name)} resolves to ${dir}, outside the plugins directory; move the plugin inside it instead of linking`,
      },
    ]);
  }
  return dir;
}

async function readManifestText(dir: string, name: string): Promise<string> {
  const file = join(dir, MANIFEST_FILE);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (code(error) === 'ENOENT') throw new PluginNotFoundError(name, `no ${MANIFEST_FILE} in ${dir}`);
    throw new PluginManifestError(name, [
      { path: MANIFEST_FILE, message: `cannot be read: ${messageOf(error)}` },
    ]);
  }
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_MANIFEST_BYTES) {
      throw new PluginManifestError(name, [
        {
          path: MANIFEST_FILE,
          message: `is larger than ${MAX_MANIFEST_BYTES} bytes; a manifest is a few fields`,
        },
      ]);
    }
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Reads and checks plugin `name`'s manifest (nothing else). */
export async function readManifest(
  root: string,
  name: string,
  rules: ManifestRules,
): Promise<{ manifest: PluginManifest; directory: string }> {
  const directory = await pluginDirectory(root, name);
  const text = await readManifestText(directory, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PluginManifestError(name, [
      { path: MANIFEST_FILE, message: `is not valid JSON: ${messageOf(error)}` },
    ]);
  }
  return { manifest: validatePluginManifest(parsed, { ...rules, directoryName: name }, name), directory };
}

/**
 * Reads and checks plugin `name`: its manifest and its entry module, which must be a file inside
 * the plugin's directory once symlinks are resolved (the returned path is the resolved one, so the
 * module imported is the one checked even if a link changes afterwards).
 */
export async function readPlugin(root: string, name: string, rules: ManifestRules): Promise<PluginFiles> {
  const { manifest, directory } = await readManifest(root, name, rules);
  let entryPath: string;
  try {
    entryPath = await realpath(resolve(directory, manifest.entry));
  } catch {
    throw new PluginManifestError(name, [
      {
        path: 'entry',
        message: `"${manifest.entry}" does not exist in ${directory}; fix the path or add the file`,
      },
    ]);
  }
  if (!isInside(directory, entryPath)) {
    throw new PluginManifestError(name, [
      {
        path: 'entry',
        message: `"${manifest.entry}" resolves to ${entryPath}, outside the plugin's directory; ship the module inside it`,
      },
    ]);
  }
  if (!(await stat(entryPath)).isFile()) {
    throw new PluginManifestError(name, [{ path: 'entry', message: `"${manifest.entry}" is not a file` }]);
  }
  return { manifest, directory, entryPath };
}
