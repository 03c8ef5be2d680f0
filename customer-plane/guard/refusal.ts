import type { RefusalCode } from '../../shared/boundary.ts';
import type { Consequence } from '../../agents/tools.ts';

/** Why the guard refused: a code from the boundary's closed list, and a detail that stays in the customer plane. */
export type Refusal = { refused: true; reason: RefusalCode; detail: string };

/** What a program rule decided for one argv it allows. */
export type Allowed = { refused?: false; consequences: Consequence[]; runsRepositoryCode: boolean };

export function refuse(reason: RefusalCode, detail: string): Refusal {
  return { refused: true, reason, detail };
}

export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && (x as Refusal).refused === true;
}
