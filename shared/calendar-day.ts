import { z } from 'zod';

/**
 * A YYYY-MM-DD day that exists on the calendar, in years 0001-9999: JavaScript's Date accepts year
 * 0000 and Postgres refuses it, so the check is made here, where a refusal is a clear 400.
 */
export const calendarDay = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
    .refine((d) => {
      if (d.startsWith('0000')) return false;
      const t = Date.parse(`${d}T00:00:00Z`);
      return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
    }, 'not a calendar date (years 0001-9999)');
