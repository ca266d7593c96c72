import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger, type Logger, messageLogger } from '../../runtime/logger.ts';

type Line = Record<string, unknown> & { level: string; msg: string };

/** A root logger writing to memory; `lines()` parses what it wrote. */
function memoryLogger(level = 'info'): { log: Logger; lines(): Line[]; raw(): string } {
  const chunks: string[] = [];
  const log = createLogger({
    level,
    name: 'test',
    host_id: 'host-1',
    site_id: 'site-a',
    destination: { write: (s) => chunks.push(s) },
  });
  return {
    log,
    lines: () => chunks.map((c) => JSON.parse(c) as Line),
    raw: () => chunks.join(''),
  };
}

test('logger - JSON lines with level label, time, host and site', () => {
  const m = memoryLogger();
  m.log.info({ count: 3 }, 'started');
  m.log.debug('below the level');
  const [line, ...rest] = m.lines();
  assert.is(rest.length, 0);
  assert.is(line?.level, 'info');
  assert.is(line?.msg, 'started');
  assert.is(line?.count, 3);
  assert.is(line?.host_id, 'host-1');
  assert.is(line?.site_id, 'site-a');
  assert.is(line?.name, 'test');
  assert.ok(!Number.isNaN(Date.parse(String(line?.time))));
});

test('logger - secrets are redacted at top level', () => {
  const m = memoryLogger();
  m.log.info(
    { password: 'p', pass: 'q', token: 't', secret: 's', authorization: 'a', creds: 'c' },
    'x',
  );
  const line = m.lines()[0];
  for (const key of ['password', 'pass', 'token', 'secret', 'authorization', 'creds']) {
    assert.is(line?.[key], '[redacted]', key);
  }
  assert.not.match(m.raw(), /"(p|q|t|s|a|c)"/);
});

test('logger - secrets are redacted at any depth and in arrays', () => {
  const m = memoryLogger();
  const config = {
    nats: { user: 'omniva', pass: 'hunter2' },
    headers: { Authorization: 'Bearer abc' },
  };
  m.log.info(
    {
      config,
      job: { auth: { refresh_token: 'r1', api_key: 'k1', apiKey: 'k2' } },
      accounts: [{ name: 'a', password: 'pw1' }],
      headers: { authorization: 'Bearer def' },
    },
    'x',
  );
  const raw = m.raw();
  for (const secret of ['hunter2', 'Bearer abc', 'Bearer def', 'r1', 'k1', 'k2', 'pw1']) {
    assert.not.ok(raw.includes(secret), `${secret} leaked: ${raw}`);
  }
  assert.match(raw, '"user":"omniva"');
  assert.match(raw, '"name":"a"');
  assert.is(config.nats.pass, 'hunter2', 'the logged object itself is untouched');
});

test('logger - secrets in child bindings are redacted', () => {
  const m = memoryLogger();
  m.log.child({ token: 'tok', nats: { pass: 'pw' } }).info('x');
  const line = m.lines()[0];
  assert.is(line?.token, '[redacted]');
  assert.equal(line?.nats, { pass: '[redacted]' });
});

test('logger - credentials are stripped from URLs', () => {
  const m = memoryLogger();
  m.log.info({ url: 'nats://omniva:s3cret@hub.example:4222' }, 'connecting');
  m.log.info({ servers: ['nats://tok3n@a:4222', 'nats://b:4222'] }, 'servers');
  m.log.child({ url: 'https://u:p4ss@h/x' }).info('bound');
  m.log.error({ err: new Error('cannot reach nats://omniva:s3cret@hub.example:4222') }, 'failed');
  const [a, b, c, d] = m.lines();
  assert.is(a?.url, 'nats://omniva:[redacted]@hub.example:4222');
  assert.equal(b?.servers, ['nats://[redacted]@a:4222', 'nats://b:4222']);
  assert.is(c?.url, 'https://u:[redacted]@h/x');
  assert.is(
    (d?.err as { message?: string } | undefined)?.message,
    'cannot reach nats://omniva:[redacted]@hub.example:4222',
  );
  for (const secret of ['s3cret', 'tok3n', 'p4ss']) assert.not.ok(m.raw().includes(secret), secret);
});

test('logger - URLs without credentials are left alone', () => {
  const m = memoryLogger();
  m.log.info({ url: 'nats://127.0.0.1:4222', page: 'https://example.com/a@b' }, 'x');
  const line = m.lines()[0];
  assert.is(line?.url, 'nats://127.0.0.1:4222');
  assert.is(line?.page, 'https://example.com/a@b');
});

test('logger - message lines carry site, actor and trace', () => {
  const m = memoryLogger('debug');
  const log = messageLogger(m.log, {
    site_id: 'site-a',
    actor: 'scraper',
    trace_id: 'trace-1',
    msg_id: 'msg-1',
  });
  log.debug({ attempt: 2 }, 'message processed');
  log.child({ step: 'persist' }).info('snapshot stored');
  const lines = m.lines();
  assert.is(lines.length, 2);
  for (const line of lines) {
    assert.is(line.site_id, 'site-a');
    assert.is(line.actor, 'scraper');
    assert.is(line.trace_id, 'trace-1');
    assert.is(line.msg_id, 'msg-1');
    assert.not.ok('stardust_id' in line);
  }
  assert.is(
    m
      .raw()
      .split('\n')[0]
      ?.match(/"site_id"/g)?.length,
    1,
    'site_id written once',
  );
});

test('logger - a message for another site names that site', () => {
  const m = memoryLogger();
  messageLogger(m.log, {
    site_id: 'site-b',
    actor: 'zenith',
    trace_id: 't',
    stardust_id: 'sd-1',
  }).info('x');
  const line = m.lines()[0];
  assert.is(line?.site_id, 'site-b');
  assert.is(line?.stardust_id, 'sd-1');
});

test.run();
