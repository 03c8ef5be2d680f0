import { z } from 'zod';
import { classifyLicense, type LicenseClass } from '../analysis/licenses.ts';
import { readPackageJson, readPackageLock } from '../analysis/manifests.ts';
import { countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding } from '../types.ts';

const LICENSE_FILE = /^(LICEN[CS]E|COPYING)(\.(md|txt|rst))?$/i;

/**
 * Checks the licenses of what the project ships: production dependencies from npm lockfiles (dev
 * dependencies are not distributed and are left out), and whether the project declares its own.
 * `params.licenseAllow` (comma-separated SPDX ids) accepts licenses a team has cleared.
 */
export const licenseChecker: DeterministicAgent = {
  name: 'license-checker',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Checks dependency licenses against distribution policy (strong and weak copyleft, unknown licenses) and that the project declares its own license.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 500, maxTokens: 0 },
  output: agentOutputSchema.extend({
    data: z.object({
      projectLicense: z.string().nullable(),
      byClass: z.record(z.string(), z.number().int()),
      packagesChecked: z.number().int(),
    }),
  }),
  async run(ctx) {
    const allow = new Set(
      (ctx.params.licenseAllow ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    );
    const paths = await listWorkspace(ctx);
    const findings: Finding[] = [];
    const byClass: Record<LicenseClass, number> = { permissive: 0, weak: 0, unknown: 0, strong: 0 };
    let projectLicense: string | null = paths.find((p) => !p.includes('/') && LICENSE_FILE.test(p)) ?? null;
    let packagesChecked = 0;
    if (paths.includes('package.json')) {
      const pkg = readPackageJson((await readText(ctx, 'package.json')) ?? '');
      if (pkg?.license && !projectLicense) projectLicense = pkg.license;
    }
    for (const path of paths.filter((p) => /(^|\/)(package-lock|npm-shrinkwrap)\.json$/.test(p))) {
      for (const p of readPackageLock((await readText(ctx, path)) ?? '') ?? []) {
        if (p.dev) continue;
        packagesChecked++;
        const cls = classifyLicense(p.license, allow);
        byClass[cls]++;
        if (cls === 'strong') {
          findings.push(
            finding(
              'license/strong-copyleft',
              'high',
              path,
              p.line,
              `${p.name}@${p.version} is ${p.license}: distributing the project with it puts the whole work under its terms`,
            ),
          );
        } else if (cls === 'weak') {
          findings.push(
            finding(
              'license/weak-copyleft',
              'low',
              path,
              p.line,
              `${p.name}@${p.version} is ${p.license}: changes to it must be published under the same license`,
            ),
          );
        } else if (cls === 'unknown') {
          findings.push(
            finding(
              'license/unknown',
              'medium',
              path,
              p.line,
              `${p.name}@${p.version} declares no usable license (${p.license ?? 'none'}); its use is not cleared`,
            ),
          );
        }
      }
    }
    if (!projectLicense)
      findings.push(
        finding('license/project-missing', 'medium', '', 0, 'the repository declares no license (no LICENSE file, no license field)'),
      );
    const summary = `${packagesChecked} production packages checked, project license ${projectLicense ?? 'missing'}: ${countBySeverity(findings)}`;
    return result(summary, findings, { projectLicense, byClass, packagesChecked });
  },
};
