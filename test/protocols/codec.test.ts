import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CONTENT_TYPES,
  decode,
  encode,
  makeEnvelope,
  OmnivaError,
  validateMessage,
} from '../../protocols/index.ts';
import { example } from './examples.ts';

const envelope = makeEnvelope({
  type: 'AnalysisResult',
  site_id: 'site-a',
  payload: example('AnalysisResult'),
  actor: 'analyzer',
});

function decodeFailure(data: Uint8Array, contentType: string | undefined): OmnivaError {
  try {
    decode(data, contentType);
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_DECODE'), String(e));
    return e as OmnivaError;
  }
  throw new Error('expected decode to fail');
}

test('codec - msgpack and json round trip an envelope unchanged', () => {
  for (const codec of ['msgpack', 'json'] as const) {
    const back = decode(encode(envelope, codec), CONTENT_TYPES[codec]);
    assert.equal(back, envelope);
    assert.ok(validateMessage(back).ok);
  }
});

test('codec - msgpack output is plain MessagePack any decoder can read', () => {
  // fixmap(2) "a" 1 "b" "x": no msgpackr record extension, no shared structures.
  assert.equal(
    [...encode({ a: 1, b: 'x' }, 'msgpack')],
    [0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0xa1, 0x78],
  );
});

test('codec - undefined properties are dropped by both codecs', () => {
  for (const codec of ['msgpack', 'json'] as const) {
    const back = decode(encode({ text: 'x', n: undefined }, codec), CONTENT_TYPES[codec]);
    assert.equal(back, { text: 'x' });
    assert.not.ok('n' in (back as object));
  }
});

test('codec - decoding follows Content-Type; no header means JSON', () => {
  const json = new TextEncoder().encode('{"text":"from nats pub"}');
  assert.equal(decode(json, undefined), { text: 'from nats pub' });
  assert.equal(decode(json, ''), { text: 'from nats pub' });
  assert.equal(decode(json, 'Application/JSON; charset=utf-8'), { text: 'from nats pub' });
  const packed = encode({ text: 'packed' }, 'msgpack');
  assert.equal(decode(packed, 'application/msgpack'), { text: 'packed' });
  assert.equal(decode(packed, 'application/x-msgpack'), { text: 'packed' });
  decodeFailure(packed, undefined);
});

test('codec - garbage bytes are OMNIVA_ERR_DECODE with a readable message', () => {
  const garbage = new Uint8Array([0x92, 0x01]);
  assert.match(
    decodeFailure(garbage, 'application/msgpack').message,
    /^body is not valid MessagePack: /,
  );
  assert.match(decodeFailure(new Uint8Array([0xc1]), 'application/msgpack').message, /0xc1/);
  const text = new TextEncoder().encode('hello world');
  assert.match(decodeFailure(text, 'application/msgpack').message, /not valid MessagePack/);
  assert.match(decodeFailure(text, 'application/json').message, /^body is not valid JSON: /);
  assert.match(
    decodeFailure(new Uint8Array([0xff, 0xfe, 0x7b]), undefined).message,
    /not valid JSON/,
  );
  assert.is(decodeFailure(new Uint8Array(), 'application/json').message, 'message body is empty');
  const error = decodeFailure(text, 'text/plain');
  assert.is(
    error.message,
    'unsupported Content-Type "text/plain"; expected application/msgpack or application/json',
  );
  assert.is(error.retryable, false);
});

test.run();
