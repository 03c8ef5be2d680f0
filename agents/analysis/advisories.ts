import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';
import { z } from 'zod';
import { FINDING_SEVERITIES } from '../../shared/boundary.ts';
import shipped from '../data/advisories.json' with { type: 'json' };

/** The local advisory list (agents/data/advisories.json), checked once at load, and version matching per ecosystem. */
const advisorySchema = z.strictObject({
  id: z.string().min(1),
  ecosystem: z.enum(['npm', 'PyPI']),
  package: z.string().min(1),
  severity: z.enum(FINDING_SEVERITIES),
  summary: z.string().min(1),
  malicious: z.boolean().optional(),
  affected: z.array(z.strictObject({ introduced: z.string(), fixed: z.string() })).optional(),
  versions: z.array(z.string()).optional(),
});
export type Advisory = z.infer<typeof advisorySchema>;
export type Ecosystem = Advisory['ecosystem'];

export const ADVISORIES: readonly Advisory[] = z.object({ advisories: z.array(advisorySchema) }).parse(shipped).advisories;

/** PyPI names compare case-insensitively with `-`, `_` and `.` equal (PEP 503). */
export function normalizeName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

function inRange(ecosystem: Ecosystem, version: string, introduced: string, fixed: string): boolean {
  if (ecosystem === 'npm') {
    const v = semver.valid(version);
    if (!v) return false;
    return (introduced === '0' || semver.gte(v, semver.coerce(introduced)!)) && semver.lt(v, semver.coerce(fixed)!);
  }
  if (!pep440.valid(version)) return false;
  return (introduced === '0' || pep440.gte(version, introduced)) && pep440.lt(version, fixed);
}

/** Advisories that name this exact version of a package. */
export function advisoriesFor(ecosystem: Ecosystem, name: string, version: string, list: readonly Advisory[] = ADVISORIES): Advisory[] {
  const n = normalizeName(ecosystem, name);
  return list.filter(
    (a) =>
      a.ecosystem === ecosystem &&
      normalizeName(ecosystem, a.package) === n &&
      (a.versions?.includes(version) || a.affected?.some((r) => inRange(ecosystem, version, r.introduced, r.fixed))),
  );
}
