import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/paths';

/**
 * `npm ci` installs exactly package-lock.json, so the lockfile must hold the
 * native packages of every platform we support, not only of the machine that
 * last wrote it (some npm versions drop the others' when regenerating from an
 * existing node_modules).
 */
interface LockEntry {
  version?: string;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const root = repoRoot();
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

/** Where Node would find `name` from the package installed at `location`. */
function resolveFrom(location: string, name: string): string | undefined {
  let base = location;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

const PLATFORMS = [
  { os: 'linux', cpu: 'x64', libc: 'glibc' },
  { os: 'linux', cpu: 'arm64', libc: 'glibc' },
  { os: 'linux', cpu: 'x64', libc: 'musl' },
  { os: 'linux', cpu: 'arm64', libc: 'musl' },
  { os: 'darwin', cpu: 'x64' },
  { os: 'darwin', cpu: 'arm64' },
  { os: 'win32', cpu: 'x64' },
  { os: 'win32', cpu: 'arm64' },
];

function fits(entry: LockEntry, platform: { os: string; cpu: string; libc?: string }): boolean {
  return (
    (!entry.os || entry.os.includes(platform.os)) &&
    (!entry.cpu || entry.cpu.includes(platform.cpu)) &&
    (!entry.libc || (platform.libc !== undefined && entry.libc.includes(platform.libc)))
  );
}

describe('package-lock.json', () => {
  it('is a version 3 lockfile whose root matches package.json', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect((lock.packages[''] as { engines?: unknown }).engines).toEqual(pkg.engines);
  });

  it('records every optional dependency, whatever platform it is for', () => {
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolveFrom(location, name)) missing.push(`${location || '(root)'} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(['@swc/core', 'esbuild', 'unrs-resolver'])('has a native build of %s for Linux (glibc, musl), macOS and Windows on x64 and arm64', (name) => {
    const owner = `node_modules/${name}`;
    expect(lock.packages[owner]).toBeDefined();
    const natives = Object.keys(lock.packages[owner].optionalDependencies ?? {})
      .map((dep) => resolveFrom(owner, dep))
      .map((location) => lock.packages[location!]);
    for (const platform of PLATFORMS) {
      expect({ platform, found: natives.some((entry) => fits(entry, platform)) }).toEqual({ platform, found: true });
    }
  });
});
