import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../shared/log.ts';

test('authorization headers, cookies and secret-named fields are redacted even when a whole object is logged', () => {
  let out = '';
  const destination = new Writable({
    write(chunk, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ service: 't', destination });
  log.info({ req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1' } }, config: { password: 'hunter2', apiKey: 'sk-live' } }, 'hello');
  assert.doesNotMatch(out, /abc\.def\.ghi|sid=1|hunter2|sk-live/);
  assert.match(out, /\[redacted\]/);
});
