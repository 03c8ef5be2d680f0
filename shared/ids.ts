import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Sortable IDs for workflows, steps and events; UUIDs for tenants. Both pass the boundary schema. */
export const newUlid = (): string => nextUlid();
export const newUuid = (): string => randomUUID();

export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
