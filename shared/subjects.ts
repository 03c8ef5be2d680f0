// The only subjects that exist on the link. `ap.local.>` never leaves the customer plane:
// three layers (hub user permissions, leaf deny lists, egress being the only publisher) keep it so.
import { UUID_RE } from './ids.ts';

export const UP_KINDS = ['meta', 'otel', 'usage', 'patterns'] as const;
export type UpKind = (typeof UP_KINDS)[number];

function tenantToken(tenant: string): string {
  // Subjects are built only from validated tenant IDs, so a wildcard or dot can never sneak in.
  if (!UUID_RE.test(tenant)) throw new Error('tenant id is not a UUID');
  return tenant;
}

export const subjects = {
  up: (tenant: string, kind: UpKind) => `ap.up.${tenantToken(tenant)}.${kind}`,
  upAll: (tenant: string) => `ap.up.${tenantToken(tenant)}.>`,
  upAnyTenant: 'ap.up.*.*',
  down: (tenant: string) => `ap.down.${tenantToken(tenant)}.dispatch`,
  downAll: (tenant: string) => `ap.down.${tenantToken(tenant)}.>`,
  /** Reply inbox prefix for the leaf's forwarder: hub acks come back down through the allowed subjects. */
  downInbox: (tenant: string) => `ap.down.${tenantToken(tenant)}.inbox`,
  local: (rest: string) => `ap.local.${rest}`,
  localAll: 'ap.local.>',
};

/** Parses `ap.up.<tenant>.<kind>`; returns null for anything else. */
export function parseUpSubject(subject: string): { tenant: string; kind: UpKind } | null {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'ap' || parts[1] !== 'up') return null;
  const [, , tenant, kind] = parts;
  if (!UUID_RE.test(tenant) || !(UP_KINDS as readonly string[]).includes(kind)) return null;
  return { tenant, kind: kind as UpKind };
}
