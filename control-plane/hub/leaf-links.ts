import { z } from 'zod';
import { tenantAccount } from './config.ts';

/**
 * Which enrolled tenants' leaf nodes are linked to the hub right now, read from the hub's HTTP
 * monitor (`/leafz`, one entry per leaf connection with the account it logged in to). Readiness
 * reports it: after a hub restart, or when the leafnode listener is unreachable, `linked` stays
 * below `enrolled`. Only counts are reported (readiness needs no token, so no tenant ids).
 */
const leafzSchema = z.object({ leafs: z.array(z.object({ account: z.string() })).nullish() });

export type LeafLinks = {
  enrolled: number;
  linked: number;
  /** all: every enrolled leaf linked; some; none (with at least one enrolled); unknown (the monitor did not answer). */
  status: 'all' | 'some' | 'none' | 'unknown';
};

export function createLeafLinkCheck(deps: { monitorUrl: string; enrolledTenants: () => Promise<string[]>; timeoutMs?: number }) {
  return async (): Promise<LeafLinks> => {
    const tenants = await deps.enrolledTenants();
    let accounts: Set<string>;
    try {
      const res = await fetch(`${deps.monitorUrl}/leafz`, { signal: AbortSignal.timeout(deps.timeoutMs ?? 1500) });
      const body = leafzSchema.parse(await res.json());
      accounts = new Set((body.leafs ?? []).map((l) => l.account));
    } catch {
      return { enrolled: tenants.length, linked: 0, status: 'unknown' };
    }
    const linked = tenants.filter((t) => accounts.has(tenantAccount(t))).length;
    const status = linked === tenants.length ? 'all' : linked === 0 ? 'none' : 'some';
    return { enrolled: tenants.length, linked, status };
  };
}
