import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { startConsole } from '../../../customer-plane/console/app.ts';
import { startConsoleForPlane } from '../../../customer-plane/console/start.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { silentLogger } from '../../../shared/log.ts';
import { consoleClient, consoleRuntime, startTestConsole } from '../../support/console.ts';

/**
 * Where the console listens and how: over TLS its cookies are Secure with the `__Host-` prefix and
 * responses carry HSTS; it refuses wildcard and public addresses, and a private-network address
 * without TLS; the plane's start names a TLS file it cannot use.
 */
function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-console-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A self-signed certificate for 127.0.0.1 and localhost (openssl, argv only). */
function selfSigned(dir: string, name = 'console'): { certFile: string; keyFile: string; cert: Buffer; key: Buffer } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
    ].concat(['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

test('over TLS the session cookie is Secure with the __Host- prefix (so no other host or plain-HTTP page can set it), and responses carry HSTS', async (t) => {
  const rig = await consoleRuntime(t);
  const tls = selfSigned(tempDir(t));
  const c = await startTestConsole(t, rig, { tls });
  assert.match(c.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const agent = new Agent({ connect: { ca: tls.cert } });
  t.after(() => agent.close());
  const viaTls = ((url: string, init: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
  const browser = consoleClient(c.url, { fetch: viaTls });
  const form = await browser.get('/login');
  assert.match(
    form.headers.getSetCookie().join(),
    /^__Host-ap_console_login=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
  );
  assert.equal(form.headers.get('strict-transport-security'), 'max-age=31536000');
  const ok = await browser.login(c.secret);
  assert.equal(ok.status, 303);
  assert.match(ok.headers.getSetCookie()[0], /^__Host-ap_console_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
  assert.equal((await browser.get('/runs')).status, 200);

  const unprefixed = consoleClient(c.url, { fetch: viaTls });
  unprefixed.jar.set('ap_console_session', browser.jar.get('__Host-ap_console_session')!);
  assert.equal((await unprefixed.get('/runs')).location, '/login', 'only the __Host- cookie is the session');
});

test('the console refuses a wildcard, public or named address, and a private-network address without TLS, before it listens', async (t) => {
  const rig = await consoleRuntime(t);
  const deps = {
    port: 0,
    db: rig.pool,
    environments: rig.deps.environments,
    memory: rig.memory!,
    auditLogPath: join(tempDir(t), 'none.jsonl'),
    adminSecret: async () => 'x'.repeat(43),
    log: silentLogger(),
  };
  for (const host of ['0.0.0.0', '::', '8.8.8.8', '169.254.169.254', 'localhost'])
    await assert.rejects(startConsole({ ...deps, host }), /the console listens on/, host);
  await assert.rejects(startConsole({ ...deps, host: '10.0.0.1' }), /served over TLS only/);
});

test('the plane’s start names a TLS file it cannot read, or a key that is not the certificate’s, as configuration errors', async (t) => {
  const rig = await consoleRuntime(t);
  const dir = tempDir(t);
  const a = selfSigned(dir, 'a');
  const b = selfSigned(dir, 'b');
  writeFileSync(join(dir, 'junk.pem'), 'not a pem\n');
  const start = (cert: string, key: string) =>
    startConsoleForPlane({
      env: {
        CONSOLE_HOST: '127.0.0.1',
        CONSOLE_PORT: 0,
        CONSOLE_TLS_CERT_FILE: cert,
        CONSOLE_TLS_KEY_FILE: key,
        CONSOLE_HOSTNAMES: [],
        CONSOLE_SESSION_IDLE_MINUTES: 30,
        CONSOLE_SESSION_MAX_HOURS: 8,
      },
      db: rig.pool,
      environments: rig.deps.environments,
      memory: rig.memory!,
      secrets: createFileSecretStore(join(dir, 'secrets.json')),
      auditLogPath: join(dir, 'none.jsonl'),
      log: silentLogger(),
    });
  const refused = async (cert: string, key: string, message: RegExp) => {
    const err = await start(cert, key).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, `${cert} ${key}: ${String(err)}`);
    assert.match(err.message, message);
  };
  await refused(join(dir, 'missing.crt'), a.keyFile, /CONSOLE_TLS_CERT_FILE .*missing\.crt cannot be read \(ENOENT\)/);
  await refused(a.certFile, join(dir, 'missing.key'), /CONSOLE_TLS_KEY_FILE .*cannot be read \(ENOENT\)/);
  await refused(a.certFile, b.keyFile, /are not a certificate and its key \(ERR_OSSL/);
  await refused(join(dir, 'junk.pem'), a.keyFile, /are not a certificate and its key \(ERR_OSSL/);
  const ok = await start(a.certFile, a.keyFile);
  assert.match(ok.url, /^https:/);
  await ok.close();
  assert.match(
    JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))['local-admin-secret'],
    /^[A-Za-z0-9_-]{43}$/,
    'the admin secret was generated',
  );
});
