import parseSpdx from 'spdx-expression-parse';

/**
 * License classes for distribution: `permissive` (MIT, BSD, Apache…), `weak` copyleft (file- or
 * library-level: LGPL, MPL, EPL), `strong` copyleft (GPL, AGPL, SSPL: the whole work), `unknown`
 * (missing, UNLICENSED, not an SPDX expression). An OR offers a choice, so the best side counts;
 * an AND needs both, so the worst side counts.
 */
export type LicenseClass = 'permissive' | 'weak' | 'unknown' | 'strong';
const RANK: Record<LicenseClass, number> = { permissive: 0, weak: 1, unknown: 2, strong: 3 };

const STRONG = /^(AGPL|GPL|SSPL|OSL|EUPL|CPAL|RPL|Sleepycat)(-|$)/i;
const WEAK = /^(LGPL|MPL|EPL|CDDL|CPL|MS-RL|APSL)(-|$)/i;

function classifyId(id: string, allow: ReadonlySet<string>): LicenseClass {
  if (allow.has(id.toLowerCase())) return 'permissive';
  if (STRONG.test(id)) return 'strong';
  if (WEAK.test(id)) return 'weak';
  if (/^LicenseRef-|^DocumentRef-/.test(id)) return 'unknown';
  return 'permissive';
}

type Node = parseSpdx.Info;
function classifyNode(n: Node, allow: ReadonlySet<string>): LicenseClass {
  if ('license' in n) return classifyId(n.license, allow);
  const l = classifyNode(n.left, allow);
  const r = classifyNode(n.right, allow);
  const pick = n.conjunction === 'or' ? Math.min(RANK[l], RANK[r]) : Math.max(RANK[l], RANK[r]);
  return (Object.keys(RANK) as LicenseClass[]).find((k) => RANK[k] === pick)!;
}

export function classifyLicense(expression: string | undefined, allow: ReadonlySet<string> = new Set()): LicenseClass {
  if (!expression || /^UNLICENSED$/i.test(expression) || /^SEE LICEN[CS]E IN/i.test(expression)) return 'unknown';
  try {
    return classifyNode(parseSpdx(expression), allow);
  } catch {
    return 'unknown';
  }
}
