/**
 * Prints a fresh control-plane token signing key set for CONTROL_PLANE_TOKEN_KEYS.
 * To rotate: put the new key first, keep the old one after it until the longest-lived token it
 * signed has expired, then drop it.
 */
import { generateSigningJwk } from '../shared/tokens.ts';

process.stdout.write(`${JSON.stringify([await generateSigningJwk()])}\n`);
