import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scanText, secretScanner } from '../../../../agents/catalog/secret-scanner.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { REPOS, scoreOnFixture } from '../../../support/agents.ts';

for (const repo of FIXTURE_REPOS) {
  test(`secret-scanner reports every planted credential in ${repo} and none of its look-alikes`, async () => {
    const s = await scoreOnFixture(secretScanner, repo);
    assert.deepEqual(s.missed, [], 'planted credentials not reported');
    assert.deepEqual(s.cleanFlagged, [], 'look-alikes reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}

test('a finding names the kind and place of a credential, never any part of its value', async () => {
  for (const repo of FIXTURE_REPOS) {
    const { output } = await scoreOnFixture(secretScanner, repo);
    for (const f of output.findings) {
      const line = readFileSync(join(REPOS, repo, f.file), 'utf8').split('\n')[f.line - 1];
      // Every run of 8+ token characters on the flagged line that is not a plain word is a candidate value.
      for (const token of line.match(/[A-Za-z0-9_+/=.-]{12,}/g) ?? []) {
        for (let i = 0; i + 8 <= token.length; i += 4) {
          const window = token.slice(i, i + 8);
          if (/^[a-z_]+$/i.test(window)) continue;
          assert.ok(!f.message.includes(window), `${f.file}:${f.line} message carries part of the value: ${window}`);
        }
      }
      assert.ok(!/FAKE/.test(f.message), `${f.file}:${f.line}: message contains the value`);
    }
  }
});

test('one finding per line, the most specific rule winning over the entropy rule', () => {
  const text = "const aws_secret_access_key = 'FAKEtqXQG521cR1Cx9zHVpDRgxRhAkjps20O1b6I';\n"; // secret-scanner: ignore (a planted fake)
  const findings = scanText('a.js', text);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].rule, 'secret/aws-secret-key');
});

test('a line marked "secret-scanner: ignore" is skipped, the same value elsewhere is not', () => {
  const value = 'ghp_FAKE0RBeBJ6OUmtkylmFQE38OyNaEBJWh9aX'; // secret-scanner: ignore (a planted fake)
  const findings = scanText('a.py', `A = "${value}"  # secret-scanner: ignore\nB = "${value}"\n`);
  assert.deepEqual(
    findings.map((f) => f.line),
    [2],
  );
});

test('unquoted values are judged only in configuration files, not in source code', () => {
  assert.equal(scanText('app.env.yml', 'db_password: FakePwMJFcJ6HlES\n').length, 1);
  assert.equal(scanText('app.js', 'db_password = FakePwMJFcJ6HlES\n').length, 0);
});

test('a private key is reported at its header line; a header with no key body is not a key', () => {
  const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7FAKEfakeFAKEfake';
  assert.deepEqual(
    scanText('k.pem', `x\n-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\n`).map((f) => [f.rule, f.line]),
    [['secret/private-key', 2]],
  );
  assert.equal(scanText('p.js', "if (pem.startsWith('-----BEGIN PRIVATE KEY-----')) parse(pem);\n").length, 0);
});

test('the summary and data count the findings by rule', async () => {
  const { output } = await scoreOnFixture(secretScanner, 'node-shop');
  const data = output.data as { byRule: Record<string, number>; filesScanned: number };
  assert.equal(data.byRule['secret/generic-assignment'], 2);
  assert.ok(data.filesScanned > 10);
  assert.match(output.summary, /11 findings \(3 critical, 6 high, 2 medium\)/);
});
