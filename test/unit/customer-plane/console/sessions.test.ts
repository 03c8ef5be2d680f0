import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionStore, csrfMatches } from '../../../../customer-plane/console/sessions.ts';

const admin = { name: 'console:local-admin', rights: new Set(['approvals:read'] as const) };
const MIN = 60_000;

function store(o: { idleMs?: number; maxAgeMs?: number; maxSessions?: number } = {}) {
  let now = 1_000_000;
  const s = createSessionStore({
    idleMs: o.idleMs ?? 30 * MIN,
    maxAgeMs: o.maxAgeMs ?? 8 * 60 * MIN,
    clock: () => now,
    maxSessions: o.maxSessions,
  });
  return { s, advance: (ms: number) => (now += ms) };
}

test('a session lives while it is used: each request restarts its idle time', () => {
  const { s, advance } = store();
  const { token } = s.create(admin);
  for (let i = 0; i < 10; i++) {
    advance(29 * MIN);
    assert.ok(s.get(token), `request ${i + 1}, 29 minutes after the last`);
  }
});

test('a session ends after its idle time, and is gone for good', () => {
  const { s, advance } = store();
  const { token } = s.create(admin);
  advance(30 * MIN);
  assert.equal(s.get(token), undefined);
  assert.equal(s.size, 0, 'removed, not just hidden');
});

test('a session ends at its maximum age however busy it is', () => {
  const { s, advance } = store({ maxAgeMs: 60 * MIN });
  const { token } = s.create(admin);
  for (let i = 0; i < 5; i++) {
    advance(11 * MIN);
    assert.ok(s.get(token));
  }
  advance(5 * MIN);
  assert.equal(s.get(token), undefined, '60 minutes after login');
});

test('logout destroys the session; tokens are fresh random values; malformed or unknown tokens find nothing', () => {
  const { s } = store();
  const a = s.create(admin);
  const b = s.create(admin);
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.session.csrfToken, b.session.csrfToken);
  assert.match(a.token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.token, a.session.csrfToken, 'the CSRF token is not the cookie');
  s.destroy(a.token);
  assert.equal(s.get(a.token), undefined);
  assert.ok(s.get(b.token), 'the other session is untouched');
  for (const t of [undefined, '', 'x', `${b.token}x`, b.token.toUpperCase()]) assert.equal(s.get(t), undefined, String(t));
});

test('sessions nobody comes back to are dropped at the next login: the store keeps only live ones', () => {
  const { s, advance } = store();
  s.create(admin);
  advance(20 * MIN);
  const recent = s.create(admin).token;
  advance(15 * MIN);
  s.create(admin);
  assert.equal(s.size, 2, 'the one idle for 35 minutes is gone');
  assert.ok(s.get(recent));
});

test('every token a login issues finds its session, whatever base64url characters it holds', () => {
  const { s } = store({ maxSessions: 100 });
  const tokens = Array.from({ length: 40 }, () => s.create(admin).token);
  for (const t of tokens) assert.ok(s.get(t), t);
});

test('at most 64 live sessions by default', () => {
  let now = 0;
  const s = createSessionStore({ idleMs: 30 * MIN, maxAgeMs: 60 * MIN, clock: () => now++ });
  for (let i = 0; i < 70; i++) s.create(admin);
  assert.equal(s.size, 64);
});

test('at most maxSessions live sessions: a new login pushes out the one idle longest', () => {
  const { s, advance } = store({ maxSessions: 3 });
  const tokens = [0, 1, 2].map(() => {
    advance(1000);
    return s.create(admin).token;
  });
  advance(1000);
  s.get(tokens[0]);
  s.create(admin);
  assert.equal(s.size, 3);
  assert.ok(s.get(tokens[0]), 'recently used: kept');
  assert.equal(s.get(tokens[1]), undefined, 'idle longest: pushed out');
  assert.ok(s.get(tokens[2]));
});

test('csrfMatches: only the session’s own token, compared whole', () => {
  const { s } = store();
  const { session } = s.create(admin);
  const other = s.create(admin).session;
  assert.equal(csrfMatches(session, session.csrfToken), true);
  for (const bad of [undefined, '', other.csrfToken, session.csrfToken.slice(1), `${session.csrfToken}x`, 42, ['x'], 'é'.repeat(43)])
    assert.equal(csrfMatches(session, bad), false, JSON.stringify(bad));
});
