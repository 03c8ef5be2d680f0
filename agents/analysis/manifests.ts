/** Reading dependency manifests and lockfiles: what is declared, where (line), and how. No I/O. */

export type DeclaredDep = { name: string; spec: string; section: string; line: number };
export type LockedPackage = {
  path: string;
  name: string;
  version: string;
  line: number;
  dev: boolean;
  hasInstallScript: boolean;
  license?: string;
  resolved?: string;
};

export const NPM_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** 1-based line of `"key":` at or after line `from` (1-based), or 0. */
export function jsonKeyLine(lines: readonly string[], key: string, from = 1): number {
  const re = new RegExp(`^\\s*"${escapeRe(key)}"\\s*:`);
  for (let i = Math.max(0, from - 1); i < lines.length; i++) if (re.test(lines[i])) return i + 1;
  return 0;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export type PackageJson = {
  deps: DeclaredDep[];
  scripts: Record<string, string>;
  license?: string;
  scriptsLine: number;
  licenseLine: number;
  /** Files the package exposes or runs: main, module, bin, exports, and script files named in scripts. */
  entryPoints: string[];
};

function stringsIn(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (v && typeof v === 'object') return Object.values(v).flatMap(stringsIn);
  return [];
}

export function readPackageJson(text: string): PackageJson | undefined {
  const json = parseJson(text);
  if (!json) return undefined;
  const lines = text.split('\n');
  const deps: DeclaredDep[] = [];
  for (const section of NPM_SECTIONS) {
    const block = json[section];
    if (!block || typeof block !== 'object') continue;
    const start = jsonKeyLine(lines, section);
    for (const [name, spec] of Object.entries(block as Record<string, unknown>)) {
      deps.push({ name, spec: String(spec), section, line: jsonKeyLine(lines, name, start + 1) });
    }
  }
  const scripts = json.scripts && typeof json.scripts === 'object' ? (json.scripts as Record<string, string>) : {};
  const license = typeof json.license === 'string' ? json.license : undefined;
  const scriptFiles = Object.values(scripts).flatMap((cmd) =>
    String(cmd)
      .split(/\s+/)
      .filter((w) => /\.[cm]?[jt]sx?$/.test(w)),
  );
  const entryPoints = [...stringsIn([json.main, json.module, json.bin, json.exports]), ...scriptFiles].map((p) => p.replace(/^\.\//, ''));
  return { deps, scripts, license, scriptsLine: jsonKeyLine(lines, 'scripts'), licenseLine: jsonKeyLine(lines, 'license'), entryPoints };
}

/** The installed packages of an npm lockfile (v2/v3 `packages` map). */
export function readPackageLock(text: string): LockedPackage[] | undefined {
  const json = parseJson(text);
  const packages = json?.packages;
  if (!packages || typeof packages !== 'object') return undefined;
  const lines = text.split('\n');
  const start = jsonKeyLine(lines, 'packages');
  const out: LockedPackage[] = [];
  for (const [path, raw] of Object.entries(packages as Record<string, Record<string, unknown>>)) {
    if (!path) continue; // the root project
    const idx = path.lastIndexOf('node_modules/');
    const name = typeof raw.name === 'string' ? raw.name : path.slice(idx + 'node_modules/'.length);
    out.push({
      path,
      name,
      version: String(raw.version ?? ''),
      line: jsonKeyLine(lines, path, start + 1),
      dev: raw.dev === true,
      hasInstallScript: raw.hasInstallScript === true,
      ...(typeof raw.license === 'string' ? { license: raw.license } : {}),
      ...(typeof raw.resolved === 'string' ? { resolved: raw.resolved } : {}),
    });
  }
  return out;
}

export type Requirement = { name: string; specifier: string; line: number; source?: string };

/** requirements.txt lines: `name[extras] specifier ; markers`, `-e git+…`, URLs; options and includes skipped. */
export function readRequirements(text: string): Requirement[] {
  const out: Requirement[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const editable = line.match(/^(?:-e|--editable)\s+(\S+)/);
    if (editable || /^(git\+|hg\+|svn\+|https?:\/\/|file:)/.test(line)) {
      const src = editable ? editable[1] : line.split(/\s+/)[0];
      out.push({ name: src.match(/#egg=([A-Za-z0-9_.-]+)/)?.[1] ?? src, specifier: '', line: i + 1, source: src });
      continue;
    }
    if (line.startsWith('-')) continue;
    const m = line.match(/^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(@\s*\S+|[^;]*)/);
    if (!m) continue;
    // Per-requirement options (`--hash=…`) are not part of the version specifier.
    const rest = (m[3] ?? '').split(/\s--/)[0].trim();
    if (rest.startsWith('@')) out.push({ name: m[1], specifier: '', line: i + 1, source: rest.slice(1).trim() });
    else out.push({ name: m[1], specifier: rest.replace(/\s+/g, '').replace(/\\$/, ''), line: i + 1 });
  }
  return out;
}
