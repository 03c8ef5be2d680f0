import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, logDestination } from '../../../shared/log.ts';

test('authorization headers, cookies and secret-named fields are redacted even when a whole object is logged', () => {
  let out = '';
  const destination = new Writable({
    write(chunk, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ service: 't', destination });
  log.info(
    { req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1' } }, config: { password: 'hunter2', apiKey: 'sk-live' } },
    'hello',
  );
  assert.doesNotMatch(out, /abc\.def\.ghi|sid=1|hunter2|sk-live/);
  assert.match(out, /\[redacted\]/);
});

test('a log line is written before the logging call returns, so a crash right after cannot lose it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'agentplane-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'service.log');
  const log = createLogger({ service: 't', destination: logDestination(file) });
  log.info({ step: 'before-crash' }, 'written at once');
  const line = JSON.parse(readFileSync(file, 'utf8').trim());
  assert.equal(line.msg, 'written at once');
  assert.equal(line.step, 'before-crash');
});
