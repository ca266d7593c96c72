import { randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError, validateContract } from '../../protocols/index.ts';
import {
  buildPacket,
  computeStardustId,
  encodePacket,
  parseStoredPacket,
  prepareAppend,
  sealPrepared,
  stardustPacketSubject,
} from '../../runtime/stardust/index.ts';
import { canonicalJson } from '../../runtime/stardust/jcs.ts';
import { input, SITE } from './support.ts';

test('stardust jcs - the RFC 8785 examples', () => {
  // §3.2.2.3 number serialisation, §3.2.3 sorting by UTF-16 code units, §3.2.2.2 escaping.
  // The RFC's 333333333.33333329 as a JS number (the literal itself has more digits than fit).
  const numbers = [333333333.3333333, 1e30, 4.5, 2e-3, 0.000001, 1e-7, -0, 9007199254740992];
  assert.is(
    canonicalJson(numbers),
    '[333333333.3333333,1e+30,4.5,0.002,0.000001,1e-7,0,9007199254740992]',
  );
  assert.is(
    canonicalJson({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
  assert.is(
    canonicalJson({ b: [1, null, true, 'x\u0001"\\'], a: {} }),
    '{"a":{},"b":[1,null,true,"x\\u0001\\"\\\\"]}',
  );
});

test('stardust jcs - agrees with the canonicalize package on generated documents', () => {
  const pick = <T>(xs: T[], i: number) => xs[i % xs.length] as T;
  const strings = ['', 'a', 'é', '\u2028', 'tab\t', 'quote"', '😀', 'z'.repeat(40), '\u0000x'];
  const numbers = [0, -1, 1.5, 1e21, 1e-7, 123456789.123, -0.000001, 2 ** 53];
  const gen = (seed: number, depth: number): unknown => {
    const k = seed % 6;
    if (depth > 3 || k === 0) return pick(strings, seed);
    if (k === 1) return pick(numbers, seed);
    if (k === 2) return seed % 2 === 0 ? null : seed % 3 === 0;
    if (k === 3) return Array.from({ length: seed % 4 }, (_, i) => gen(seed * 7 + i, depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < seed % 5; i++)
      o[pick(strings, seed + i * 3) + String(i)] = gen(seed * 13 + i, depth + 1);
    return o;
  };
  for (let seed = 1; seed < 3000; seed++) {
    const doc = gen(seed, 0);
    assert.is(canonicalJson(doc), canonicalize(doc), JSON.stringify(doc));
  }
  assert.throws(() => canonicalJson({ a: '\ud800' }), /lone surrogate/);
  assert.throws(() => canonicalJson([Number.POSITIVE_INFINITY]), /no JSON form/);
});

test('stardust packet - a sealed packet, the generic id and the stored body agree', () => {
  for (const over of [{}, { _meta_parents: [randomUUID()], payload: { é: 'ü', n: [1.5, null] } }]) {
    const prev = computeStardustId(buildPacket(SITE, input(), null, new Date().toISOString()));
    for (const p of [null, prev]) {
      const at = new Date().toISOString();
      const { packet, data } = sealPrepared(prepareAppend(SITE, input(over), new Date()), p, at);
      assert.is(computeStardustId(packet), packet.stardust_id);
      assert.equal(buildPacket(SITE, { ...packet }, p, at).stardust_id, packet.stardust_id);
      assert.equal(JSON.parse(new TextDecoder().decode(data)), packet);
      assert.equal(data, encodePacket(packet));
      assert.ok(validateContract('StardustPacket', packet).ok);
      const subject = stardustPacketSubject(SITE, packet.kind, packet.ref);
      const parsed = parseStoredPacket(SITE, subject, data, packet.stardust_id);
      assert.ok(parsed.ok);
    }
  }
});

test('stardust packet - inputs are copied when accepted; unknown fields and bad refs refused', () => {
  const i = input({ _meta_parents: [] });
  const prepared = prepareAppend(SITE, i, new Date());
  (i._meta_parents as string[]).push(randomUUID());
  (i.payload as Record<string, unknown>).n = 'changed later';
  const { packet } = sealPrepared(prepared, null, new Date().toISOString());
  assert.equal(packet._meta_parents, []);
  assert.is.not(packet.payload.n, 'changed later');
  assert.throws(
    () => prepareAppend(SITE, { ...input(), parents: [] } as never, new Date()),
    (e: unknown) => OmnivaError.is(e, 'OMNIVA_ERR_STARDUST_INVALID') && /\/parents/.test(String(e)),
  );
  assert.throws(() => prepareAppend(SITE, input({ ref: 'a.b' }), new Date()), /\/ref/);
  assert.throws(() => stardustPacketSubject(SITE, 'event', 'a>b'), /ref subject token/);
});

test('stardust packet - the stored-message check names what is wrong', () => {
  const { packet, data } = sealPrepared(
    prepareAppend(SITE, input(), new Date()),
    null,
    new Date().toISOString(),
  );
  const subject = stardustPacketSubject(SITE, packet.kind, packet.ref);
  const reason = (s: string, d: Uint8Array, id?: string) => {
    const r = parseStoredPacket(SITE, s, d, id);
    return r.ok ? 'ok' : r.reason;
  };
  assert.is(reason(subject, data, packet.stardust_id), 'ok');
  assert.match(reason(`${subject}x`, data, packet.stardust_id), /stored on/);
  assert.match(reason(subject, data, 'other'), /Nats-Msg-Id/);
  assert.match(reason(subject, new TextEncoder().encode('nope'), undefined), /not JSON/);
  assert.match(
    reason(subject, encodePacket({ ...packet, actor: 'x' }), packet.stardust_id),
    /does not match/,
  );
  assert.match(
    parseStoredPacket('other-site', subject, data, packet.stardust_id).ok ? '' : 'site',
    /site/,
  );
});

test.run();
