// A process that stops its nats-server (the embedded hub or leaf at shutdown, every test with a private
// server) must be free to exit as soon as the server has: stop's SIGKILL fallback timer used to keep
// the process alive for its whole 5 s after a server that stopped at once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('after stop() returns, the server’s fallback kill timer does not keep the process alive', () => {
  const mod = new URL('../../../shared/nats-server-process.ts', import.meta.url).href;
  const script = `
    import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const { freePort, startNatsServer } = await import(${JSON.stringify(mod)});
    const dir = mkdtempSync(join(tmpdir(), 'ap-stop-'));
    const port = await freePort();
    writeFileSync(join(dir, 'nats.conf'), 'listen: 127.0.0.1:' + port + '\\n');
    const server = await startNatsServer({ configPath: join(dir, 'nats.conf'), port });
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(String(Date.now()));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  const exitedAt = Date.now();
  assert.equal(r.status, 0, r.stderr);
  const stoppedAt = Number(r.stdout);
  // Well under the 5 s fallback, with room for a loaded machine's process exit.
  assert.ok(exitedAt - stoppedAt < 2500, `the process exited ${exitedAt - stoppedAt} ms after the server had stopped`);
});
