// The redaction rule itself, name by name: which field names are credentials (and which merely look
// alike), a JWK's private members, the depth limit, and that the caller's objects are never changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CENSOR, isSecretName, redactFields } from '../../../shared/log-redact.ts';

test('credential names are secret in any case and as a suffix; names that merely contain them are not', () => {
  const secret = [
    'pass',
    'PWD',
    'jwt',
    'password',
    'userPassword',
    'passwd',
    'passphrase',
    'secret',
    'client_secret',
    'token',
    'enrollToken',
    'apiKey',
    'api_key',
    'api-key',
    'x-api-key',
    'APIKEY',
    'privateKey',
    'private_key',
    'private-key',
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'credential',
    'credentials',
    'sessionId',
    'session_id',
    'session-id',
  ];
  const plain = [
    'passport',
    'bypass',
    'passage',
    'pwdHint',
    'jwtIssuer',
    'myjwt',
    'inputTokens',
    'tokens',
    'secrets',
    'secretsBackend',
    'keyId',
    'kid',
    'apiKeys',
    'cookies',
    'sessionCount',
    'credentialsFile',
    'authorizationUrl',
    'privateKeyId',
    'tokenCount',
    'compass',
  ];
  for (const name of secret) assert.equal(isSecretName(name), true, name);
  for (const name of plain) assert.equal(isSecretName(name), false, name);
  // Asked again (the answer is cached): the same.
  for (const name of [...secret, ...plain]) assert.equal(isSecretName(name), secret.includes(name), `${name} again`);
});

test('every private member of a JWK is redacted, its public members kept; the same names elsewhere are ordinary fields', () => {
  const rsa = { kty: 'RSA', kid: 'k', n: 'N', e: 'AQAB', d: 'D', p: 'P', q: 'Q', dp: 'DP', dq: 'DQ', qi: 'QI' };
  assert.deepEqual(redactFields({ key: rsa }).key, {
    kty: 'RSA',
    kid: 'k',
    n: 'N',
    e: 'AQAB',
    d: CENSOR,
    p: CENSOR,
    q: CENSOR,
    dp: CENSOR,
    dq: CENSOR,
    qi: CENSOR,
  });
  assert.deepEqual(redactFields({ key: { kty: 'oct', k: 'K' } }).key, { kty: 'oct', k: CENSOR });
  const notJwk = { d: 1, p: 2, q: 3, k: 4, dp: 5, dq: 6, qi: 7 };
  assert.equal(redactFields({ point: notJwk }).point, notJwk);
});

test('objects are walked ten levels deep; deeper ones are cut, not written out', () => {
  const nest = (levels: number, leaf: unknown): unknown => (levels === 0 ? leaf : { next: nest(levels - 1, leaf) });
  const at = (v: unknown, levels: number) => {
    let x = v as Record<string, unknown>;
    for (let i = 0; i < levels; i++) x = x.next as Record<string, unknown>;
    return x;
  };
  // fields.a is walked at depth 1, so the object 8 `next`s below it is at depth 9 and still walked.
  const shallow = redactFields({ a: nest(8, { password: 'p', n: 1 }) });
  assert.deepEqual(at(shallow.a, 8), { password: CENSOR, n: 1 });
  const deep = redactFields({ a: nest(12, { password: 'p' }) });
  assert.equal(at(deep.a, 8).next, '[too deep]');
  assert.equal(typeof at(deep.a, 8), 'object');
  assert.deepEqual(redactFields({ list: [[[{ token: 't' }]]] }).list, [[[{ token: CENSOR }]]]);
  // Arrays count as levels too: a list nested twelve deep is cut like an object.
  const nestList = (levels: number): unknown => (levels === 0 ? [{ password: 'p' }] : [nestList(levels - 1)]);
  let cut = redactFields({ a: nestList(12) }).a as unknown[];
  for (let i = 0; i < 8; i++) cut = cut[0] as unknown[];
  assert.deepEqual(cut, ['[too deep]']);
});

test('an object that serialises itself is written as it serialises itself, not field by field', () => {
  // A wrapper whose toJSON hides what it holds under an ordinary name: copied field by field (to redact
  // its apiKey) it would lose that toJSON and write the value out.
  class Hidden {
    value: string;
    apiKey: string;
    constructor(value: string) {
      this.value = value;
      this.apiKey = value;
    }
    toJSON() {
      return '[hidden]';
    }
  }
  const wrapped = new Hidden('s3cr3t');
  const out = redactFields({ input: wrapped, list: [wrapped] });
  assert.equal(out.input, wrapped);
  assert.equal(JSON.stringify(out), '{"input":"[hidden]","list":["[hidden]"]}');
  // An error is still copied field by field, even when it has a toJSON of its own.
  const err = Object.assign(new Error('boom'), { password: 'p', toJSON: () => ({ message: 'boom' }) });
  assert.equal((redactFields({ err }).err as Record<string, unknown>).password, CENSOR);
});

test("the caller's objects and arrays are never changed, and a line with nothing to hide is returned as it is", () => {
  const inner = { password: 'p', keep: 1 };
  const list = [inner, 'x'];
  const fields = { list, cfg: { hub: inner }, n: 3 };
  const out = redactFields(fields);
  assert.deepEqual(out, { list: [{ password: CENSOR, keep: 1 }, 'x'], cfg: { hub: { password: CENSOR, keep: 1 } }, n: 3 });
  assert.equal(inner.password, 'p');
  assert.deepEqual(list, [{ password: 'p', keep: 1 }, 'x']);
  const clean = { a: 1, b: { c: [1, 2], d: null }, e: new Date(0) };
  assert.equal(redactFields(clean), clean);
  assert.equal(redactFields(clean).b, clean.b);
});

test('an error is written with its type, message and stack, its own fields redacted, its cause and aggregated errors walked', () => {
  const cause = Object.assign(new Error('inner'), { token: 't' });
  const err = Object.assign(new AggregateError([Object.assign(new Error('one'), { apiKey: 'k' })], 'outer', { cause }), {
    password: 'p',
    status: 500,
  });
  const out = redactFields({ err }).err as Record<string, any>;
  assert.equal(out.type, 'AggregateError');
  assert.equal(out.message, 'outer');
  assert.match(out.stack, /outer/);
  assert.equal(out.password, CENSOR);
  assert.equal(out.status, 500);
  assert.equal(out.cause.token, CENSOR);
  assert.equal(out.cause.message, 'inner');
  assert.equal(out.errors[0].apiKey, CENSOR);
  const plain = redactFields({ err: new Error('no cause') }).err as Record<string, unknown>;
  assert.ok(!('cause' in plain), 'no cause field is invented');
  assert.ok(!('errors' in plain), 'only an AggregateError has errors');
  assert.deepEqual(redactFields({ v: null, w: undefined }), { v: null, w: undefined });
});
