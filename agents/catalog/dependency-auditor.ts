import { z } from 'zod';
import { advisoriesFor } from '../analysis/advisories.ts';
import { type DeclaredDep, readPackageJson, readPackageLock, readRequirements } from '../analysis/manifests.ts';
import { countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding } from '../types.ts';

const NPM_LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'];

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : '');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** How an npm version spec resolves: to one version, to a moving range, or to something that is not the registry. */
export function classifyNpmSpec(spec: string): 'exact' | 'caret-tilde' | 'open' | 'non-registry' | 'other' {
  const s = spec.trim();
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|https?:|file:|link:)/.test(s) || /^[\w.-]+\/[\w.-]+(#.*)?$/.test(s)) return 'non-registry';
  if (s.startsWith('npm:') || s.startsWith('workspace:')) return 'other';
  if (/^=?v?\d+\.\d+\.\d+(-[\w.-]+)?(\+[\w.-]+)?$/.test(s)) return 'exact';
  if (s === '' || s === '*' || s === 'latest' || /^[xX]/.test(s) || (/(^|\s)>=?\s*[\d]/.test(s) && !/</.test(s)) || s.includes('||'))
    return 'open';
  if (/^[~^]/.test(s) || /\.[xX*]/.test(s)) return 'caret-tilde';
  return 'other';
}

function npmSpecFindings(path: string, dep: DeclaredDep, hasLockfile: boolean): Finding[] {
  const kind = classifyNpmSpec(dep.spec);
  if (kind === 'non-registry') {
    return [
      finding(
        'deps/non-registry-source',
        'medium',
        path,
        dep.line,
        `${dep.name} is installed from outside the registry (git, URL or local path), so its content is not immutable or reviewed by version`,
      ),
    ];
  }
  if (kind === 'open')
    return [
      finding(
        'deps/unpinned-range',
        'medium',
        path,
        dep.line,
        `${dep.name} accepts any future version (${dep.spec}); pin a range with an upper bound`,
      ),
    ];
  if (kind === 'caret-tilde' && !hasLockfile) {
    return [
      finding('deps/unpinned-range', 'low', path, dep.line, `${dep.name} is a range (${dep.spec}) and no lockfile pins what is installed`),
    ];
  }
  if (kind === 'exact' && !hasLockfile) return vulnFindings('npm', path, dep.line, dep.name, dep.spec.replace(/^=?v?/, ''));
  return [];
}

const SEVERITY_RANK = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** One finding per package version: malicious releases first, otherwise every advisory that names it, at the worst severity. */
function vulnFindings(ecosystem: 'npm' | 'PyPI', path: string, line: number, name: string, version: string): Finding[] {
  const hits = advisoriesFor(ecosystem, name, version);
  const malicious = hits.find((a) => a.malicious);
  if (malicious)
    return [
      finding(
        'deps/malicious',
        'critical',
        path,
        line,
        `${name}@${version} is a known malicious or sabotaged release (${malicious.id}: ${malicious.summary}); remove it`,
      ),
    ];
  if (hits.length === 0) return [];
  const worst = hits.reduce((w, a) => (SEVERITY_RANK.indexOf(a.severity) > SEVERITY_RANK.indexOf(w) ? a.severity : w), hits[0].severity);
  const list = hits.map((a) => `${a.id}: ${a.summary}`).join('; ');
  return [finding('deps/known-vulnerable', worst, path, line, `${name}@${version} is affected by ${list}`)];
}

/**
 * Audits dependency manifests and lockfiles with no network: versions named by the advisory list
 * shipped with the product, ranges that let any future version in, install scripts, and sources
 * outside the registry. npm (package.json, package-lock.json) and Python (requirements*.txt).
 */
export const dependencyAuditor: DeterministicAgent = {
  name: 'dependency-auditor',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Audits npm and Python dependencies offline: known-vulnerable and malicious versions (local advisory list), unpinned ranges, install scripts and non-registry sources.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 500, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: z.object({ manifests: z.array(z.string()), packagesChecked: z.number().int() }) }),
  async run(ctx) {
    const paths = await listWorkspace(ctx);
    const findings: Finding[] = [];
    const manifests: string[] = [];
    let packagesChecked = 0;
    for (const path of paths) {
      const base = baseOf(path);
      if (base === 'package.json') {
        const pkg = readPackageJson((await readText(ctx, path)) ?? '');
        if (!pkg) continue;
        manifests.push(path);
        const hasLockfile = NPM_LOCKFILES.some((l) => paths.includes(dirOf(path) + l));
        for (const dep of pkg.deps) findings.push(...npmSpecFindings(path, dep, hasLockfile));
        packagesChecked += hasLockfile ? 0 : pkg.deps.length;
        if (!hasLockfile && pkg.deps.some((d) => d.section !== 'peerDependencies')) {
          findings.push(
            finding(
              'deps/no-lockfile',
              'medium',
              path,
              1,
              'dependencies are declared but no lockfile pins the versions that get installed',
            ),
          );
        }
      } else if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') {
        const locked = readPackageLock((await readText(ctx, path)) ?? '');
        if (!locked) continue;
        manifests.push(path);
        for (const p of locked) {
          packagesChecked++;
          findings.push(...vulnFindings('npm', path, p.line, p.name, p.version));
          if (p.hasInstallScript) {
            findings.push(
              finding(
                'deps/install-script',
                'medium',
                path,
                p.line,
                `${p.name}@${p.version} runs an install script on every install, with the installing user's rights`,
              ),
            );
          }
        }
      } else if (/^requirements([-_.][\w.-]+)?\.txt$/.test(base)) {
        const text = await readText(ctx, path);
        if (text === undefined) continue;
        manifests.push(path);
        for (const r of readRequirements(text)) {
          packagesChecked++;
          if (r.source) {
            findings.push(
              finding(
                'deps/non-registry-source',
                'medium',
                path,
                r.line,
                `${r.name} is installed from outside the package index (VCS or URL)`,
              ),
            );
          } else if (/^===?[^*,<>=!~]+$/.test(r.specifier)) {
            findings.push(...vulnFindings('PyPI', path, r.line, r.name, r.specifier.replace(/^===?/, '')));
          } else {
            findings.push(
              finding(
                'deps/unpinned-range',
                'medium',
                path,
                r.line,
                `${r.name} is not pinned to one version (${r.specifier || 'any version'}); pin it with ==`,
              ),
            );
          }
        }
      }
    }
    return result(`${manifests.length} manifests, ${packagesChecked} packages checked: ${countBySeverity(findings)}`, findings, {
      manifests,
      packagesChecked,
    });
  },
};
