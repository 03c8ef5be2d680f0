/**
 * Mints a control-plane token from the signing keys in CONTROL_PLANE_TOKEN_KEYS — how an operator
 * gets the first `operator` token for a control plane run on its own.
 *   npm run token -- operator
 *   npm run token -- api <tenant-uuid> [ttlSeconds]
 */
import { createTokenIssuer, TOKEN_TYPES, type TokenType } from '../shared/tokens.ts';

const [typ, tenant, ttl] = process.argv.slice(2);
const fail = (msg: string): never => {
  process.stderr.write(`issue-token: ${msg}\nusage: npm run token -- <${TOKEN_TYPES.join('|')}> [tenant-uuid] [ttlSeconds]\n`);
  process.exit(2);
};
if (!typ || !(TOKEN_TYPES as readonly string[]).includes(typ)) fail('first argument must be a token type');
if (typ !== 'operator' && !/^[0-9a-f-]{36}$/.test(tenant ?? '')) fail('non-operator tokens need a tenant UUID');
const raw = process.env.CONTROL_PLANE_TOKEN_KEYS;
if (!raw) fail('CONTROL_PLANE_TOKEN_KEYS is not set');
let keys;
try {
  keys = JSON.parse(raw!);
} catch {
  fail('CONTROL_PLANE_TOKEN_KEYS is not JSON');
}
const ttlSeconds = Number(ttl ?? 3600);
if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60) fail('ttlSeconds must be a whole number ≥ 60');
const token = await createTokenIssuer({ keys }).issue({ typ: typ as TokenType, tenant: typ === 'operator' ? '*' : tenant!, ttlSeconds });
process.stdout.write(`${token}\n`);
