// The peer versions a jest project runs on (jest.preset.js `peerProjects` maps every require of a
// peer to one installed copy and names the versions in the global AUTOWEAVE_PEERS), and what the
// package's own peer ranges say of them, so a suite can check it really ran on the copy it names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PeerInForce {
  readonly name: string;
  /** The range in the package's peerDependencies. */
  readonly range: string;
  /** The version the jest project maps the peer to. */
  readonly version: string;
  /** Whether `version` is inside `range`. */
  readonly inRange: boolean;
}

type Version = readonly [number, number, number];

function parseVersion(text: string, what: string): Version {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (match === null) throw new Error(`${what}: ${text} is not a plain x.y.z version`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` is in `range`, for the caret ranges our packages use (`^x.y.z`, x >= 1). */
export function inCaretRange(version: string, range: string): boolean {
  if (!range.startsWith('^')) throw new Error(`peer range ${range}: only ^x.y.z ranges are checked here`);
  const low = parseVersion(range.slice(1), `peer range ${range}`);
  if (low[0] === 0) throw new Error(`peer range ${range}: ^0.x ranges are not checked here`);
  const v = parseVersion(version, 'installed version');
  return v[0] === low[0] && compare(v, low) >= 0;
}

/** The peers of the package at `packageRoot` that this jest project maps, with their ranges. */
export function peersInForce(packageRoot: string): PeerInForce[] {
  const versions = (globalThis as { AUTOWEAVE_PEERS?: Readonly<Record<string, string>> }).AUTOWEAVE_PEERS;
  if (versions === undefined) throw new Error('no AUTOWEAVE_PEERS: run this suite through peerProjects');
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    peerDependencies?: Record<string, string>;
  };
  return Object.entries(versions).map(([name, version]) => {
    const range = manifest.peerDependencies?.[name];
    if (range === undefined) throw new Error(`${name} is not a peer dependency of ${packageRoot}`);
    return { name, range, version, inRange: inCaretRange(version, range) };
  });
}
