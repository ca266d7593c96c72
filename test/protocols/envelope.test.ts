import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deriveMsgId,
  envelopeHeaders,
  HEADERS,
  isUuidV4,
  makeEnvelope,
  type OmnivaError,
  validateMessage,
} from '../../protocols/index.ts';
import { example } from './examples.ts';

const NOW = new Date('2026-02-01T08:00:00.000Z');

function scraperMessage(): Record<string, unknown> {
  return makeEnvelope({
    type: 'ScraperJob',
    site_id: 'site-a',
    payload: example('ScraperJob'),
    now: NOW,
  }) as Record<string, unknown>;
}

function rejected(doc: unknown, accepted?: readonly ('ScraperJob' | 'EditJob')[]): OmnivaError {
  const result = validateMessage(doc, accepted);
  if (result.ok) throw new Error('expected the message to be rejected');
  return result.error;
}

test('makeEnvelope - fills ids, version, timestamp and empty lineage', () => {
  const env = makeEnvelope({
    type: 'EchoRequest',
    site_id: 'site-a',
    payload: { text: 'hi' },
    now: NOW,
  });
  assert.ok(isUuidV4(env.msg_id));
  assert.ok(isUuidV4(env.trace_id));
  assert.is.not(env.msg_id, env.trace_id);
  assert.is(env.schema_version, '1.0.0');
  assert.is(env.emitted_at, '2026-02-01T08:00:00.000Z');
  assert.equal(env._meta_parents, []);
  assert.not.ok('actor' in env || 'causation_id' in env);
  assert.equal(env.payload, { text: 'hi' });
});

test('makeEnvelope - keeps given trace, lineage, actor, causation and msg_id', () => {
  const parents = ['9a1d7c3e-5b2f-8e4a-9c6d-1f2e3d4c5b6a'];
  const env = makeEnvelope({
    type: 'SampleTaskDone',
    site_id: 'site-a',
    payload: example('SampleTaskDone'),
    trace_id: '2b7e1516-28ae-4d2a-8abf-7158809cf4f3',
    _meta_parents: parents,
    actor: 'task-tracker',
    causation_id: '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6',
    msg_id: deriveMsgId('6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6', 0),
  });
  assert.is(env.trace_id, '2b7e1516-28ae-4d2a-8abf-7158809cf4f3');
  assert.equal(env._meta_parents, parents);
  assert.is.not(env._meta_parents, parents);
  assert.is(env.actor, 'task-tracker');
  assert.is(env.causation_id, '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6');
  assert.is(env.msg_id, deriveMsgId('6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6', 0));
  assert.ok(validateMessage(env).ok);
});

test('validateMessage - accepts a made envelope and narrows by type', () => {
  const result = validateMessage(scraperMessage(), ['ScraperJob']);
  assert.ok(result.ok);
  if (result.ok && result.envelope.type === 'ScraperJob') {
    assert.is(result.envelope.payload.platform, 'youtube');
  }
});

test('validateMessage - accepts a message without _meta_parents (nats CLI style)', () => {
  const { _meta_parents: _, ...doc } = scraperMessage();
  assert.ok(validateMessage(doc).ok);
});

test('validateMessage - envelope violations are SCHEMA_INVALID with pointers', () => {
  const { msg_id: _, ...noId } = scraperMessage();
  const missing = rejected(noId);
  assert.is(missing.code, 'OMNIVA_ERR_SCHEMA_INVALID');
  assert.is(missing.retryable, false);
  assert.equal(missing.info?.violations, [
    { pointer: '/msg_id', reason: 'missing required property "msg_id"' },
  ]);
  assert.is(
    missing.message,
    'invalid message envelope: /msg_id: missing required property "msg_id"',
  );
  const v1 = rejected({ ...scraperMessage(), msg_id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' });
  assert.equal(v1.info?.violations, [{ pointer: '/msg_id', reason: 'must be a version 4 uuid' }]);
  const site = rejected({ ...scraperMessage(), site_id: 'Site_A' });
  assert.equal(site.info?.violations, [
    { pointer: '/site_id', reason: 'must match the pattern ^[a-z0-9][a-z0-9-]{0,62}$' },
  ]);
  const late = rejected({ ...scraperMessage(), emitted_at: '2026-02-01T09:00:00+01:00' });
  assert.equal(late.info?.violations, [
    { pointer: '/emitted_at', reason: 'must be a UTC date-time like 2026-01-02T03:04:05Z' },
  ]);
});

test('validateMessage - a non-object body is rejected at the root', () => {
  for (const doc of [42, null, 'ScraperJob', [scraperMessage()]]) {
    const error = rejected(doc);
    assert.is(error.code, 'OMNIVA_ERR_SCHEMA_INVALID');
    assert.equal(error.info?.violations, [{ pointer: '', reason: 'must be an object' }]);
    assert.is(error.message, 'invalid message envelope: /: must be an object');
  }
});

test('validateMessage - unknown and unaccepted types are OMNIVA_ERR_UNKNOWN_TYPE', () => {
  const unknown = rejected({ ...scraperMessage(), type: 'RenderJob' });
  assert.is(unknown.code, 'OMNIVA_ERR_UNKNOWN_TYPE');
  assert.is(unknown.message, 'unknown message type "RenderJob"');
  const unaccepted = rejected(scraperMessage(), ['EditJob']);
  assert.is(unaccepted.code, 'OMNIVA_ERR_UNKNOWN_TYPE');
  assert.is(unaccepted.message, 'message type ScraperJob is not accepted here; accepted: EditJob');
});

test('validateMessage - unknown major version names the accepted versions', () => {
  const error = rejected({ ...scraperMessage(), schema_version: '2.0.0' });
  assert.is(error.code, 'OMNIVA_ERR_VERSION_UNSUPPORTED');
  assert.is(error.retryable, false);
  assert.is(
    error.message,
    'ScraperJob schema_version 2.0.0 is not supported; accepted majors: 1.x',
  );
  assert.ok(validateMessage({ ...scraperMessage(), schema_version: '1.3.0' }).ok);
  const malformed = rejected({ ...scraperMessage(), schema_version: '1.0' });
  assert.is(malformed.code, 'OMNIVA_ERR_SCHEMA_INVALID');
});

test('validateMessage - payload violations are prefixed with /payload', () => {
  const analysis = example('AnalysisResult');
  Object.assign(analysis.clip_candidates[0] ?? {}, { start_time: 5, end_time: 3 });
  const env = makeEnvelope({ type: 'AnalysisResult', site_id: 'site-a', payload: analysis });
  const error = rejected(env);
  assert.is(error.code, 'OMNIVA_ERR_SCHEMA_INVALID');
  assert.equal(error.info?.violations, [
    {
      pointer: '/payload/clip_candidates/0/end_time',
      reason: 'end_time (3) must be greater than start_time (5)',
    },
  ]);
  assert.match(
    error.message,
    /^invalid AnalysisResult message: \/payload\/clip_candidates\/0\/end_time/,
  );
});

test('validateMessage - long violation lists are summarised in the message', () => {
  const payload = {
    ...example('ScraperJob'),
    job_id: 'a',
    creator_id: 'b',
    platform: 'c',
    status: 'd',
    foo: 1,
  };
  const error = rejected({ ...scraperMessage(), payload });
  assert.is(error.info?.violations?.length, 5);
  assert.match(error.message, / \(and 2 more\)$/);
});

test('validateMessage - a payload schema_version of another major is refused too', () => {
  const payload = { ...example('ScraperJob'), schema_version: '3.1.0' };
  const error = rejected({ ...scraperMessage(), payload });
  assert.equal(error.info?.violations, [
    {
      pointer: '/payload/schema_version',
      reason: 'ScraperJob schema_version 3.1.0 is not supported; accepted majors: 1.x',
    },
  ]);
});

test('deriveMsgId - deterministic, index- and parent-sensitive, uuid-v4 shaped', () => {
  const parent = '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6';
  assert.is(deriveMsgId(parent, 0), deriveMsgId(parent, 0));
  assert.is.not(deriveMsgId(parent, 0), deriveMsgId(parent, 1));
  assert.is.not(deriveMsgId(parent, 0), deriveMsgId('2b7e1516-28ae-4d2a-8abf-7158809cf4f3', 0));
  for (let i = 0; i < 200; i++) assert.ok(isUuidV4(deriveMsgId(`stream-seq-${i}`, i)));
});

test('envelopeHeaders - carries routing metadata and the codec content type', () => {
  const env = makeEnvelope({
    type: 'EchoReply',
    site_id: 'site-a',
    payload: { text: 'x' },
    actor: 'echo',
  });
  assert.equal(envelopeHeaders(env, 'msgpack'), {
    [HEADERS.type]: 'EchoReply',
    [HEADERS.trace]: env.trace_id,
    [HEADERS.site]: 'site-a',
    [HEADERS.schema]: '1.0.0',
    [HEADERS.actor]: 'echo',
    [HEADERS.contentType]: 'application/msgpack',
    [HEADERS.msgId]: env.msg_id,
  });
  const anonymous = makeEnvelope({ type: 'EchoReply', site_id: 'site-a', payload: { text: 'x' } });
  const headers = envelopeHeaders(anonymous, 'json');
  assert.is(headers['Content-Type'], 'application/json');
  assert.not.ok('Omniva-Actor' in headers);
});

test.run();
