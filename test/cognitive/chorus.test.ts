// Chorus on its own (design §10: machine tests are pure): the drafter and the brand voices,
// the readable rendering and the machine's emits. The compliance pass has its own file
// (chorus-policy.test.ts). Every package produced here must pass its contract.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import {
  type BrandVoice,
  type ChorusOptions,
  chorusMachine,
  composePackage,
  draftMetadata,
  type Policy,
  packageId,
  strongestSentence,
} from '../../actors/cognitive/chorus/index.ts';
import {
  type ChorusPackage,
  type ClipPromotion,
  deriveMsgId,
  formatViolation,
  validateContract,
} from '../../protocols/index.ts';
import type { MessageEvent, PublishEmit, RuntimeEmit } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';

const NOW = Date.parse('2026-11-20T09:00:00.000Z');
const PLAIN: BrandVoice = { name: 'plain', tone: 'plain', emoji: false, hashtags: 2 };
const WARM: BrandVoice = {
  name: 'bakery-warm',
  tone: 'warm',
  emoji: true,
  hashtags: 3,
  signature: 'Baked with love at Ana’s.',
};
const PUNCHY: BrandVoice = {
  name: 'bakery-punchy',
  tone: 'punchy',
  emoji: true,
  hashtags: 1,
  title_template: '{hook} | {topic}',
};
const NO_POLICY: Policy = { banned_terms: [], required_disclosures: [] };

function promotion(over: Partial<ClipPromotion> = {}): ClipPromotion {
  return {
    ...example('ClipPromotion'),
    transcript:
      'So I have baked bread for ten years. The oven matters less than you think. ' +
      'Why does sourdough need a cold night? Because the overnight rest builds flavour.',
    keywords: ['Sourdough', 'overnight', 'flavour', 'sourdough'],
    ...over,
  };
}

function chorus(p: ClipPromotion, voice = PLAIN, policy = NO_POLICY): ChorusPackage {
  const pkg = composePackage(p, { voice, policy });
  const v = validateContract('ChorusPackage', pkg);
  assert.ok(v.ok, `a valid ChorusPackage: ${v.ok ? '' : v.violations.map(formatViolation)}`);
  return pkg;
}

test('chorus draft - the same promotion and voice always give the same package', () => {
  const a = chorus(promotion(), WARM);
  const b = chorus(promotion(), WARM);
  assert.equal(a, b);
  assert.is(a.package_id, packageId(a.clip_id), 'the id is hashed from the clip');
  assert.is(a.package_id, packageId(example('ClipPromotion').clip_id));
  assert.match(
    a.package_id,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.is.not(packageId(deriveMsgId('another clip', 0)), a.package_id);
});

test('chorus draft - a question or hook makes the title; else the sentence with most keywords', () => {
  const d = draftMetadata(promotion(), PLAIN);
  assert.is(d.title, 'Why does sourdough need a cold night?');
  const flat = [
    'The kitchen was quiet.',
    'Sourdough and an overnight rest build flavour.',
    'Sourdough takes time.',
  ];
  assert.is(
    strongestSentence(flat, ['sourdough', 'overnight', 'flavour']),
    'Sourdough and an overnight rest build flavour.',
  );
  assert.is(
    strongestSentence([...flat, 'Here is the trick nobody tells you.'], ['sourdough']),
    'Here is the trick nobody tells you.',
    'a hook beats keyword count',
  );
  const empty = draftMetadata(promotion({ transcript: ' ' }), PLAIN);
  assert.is(empty.title, example('ClipPromotion').title_hint, 'no transcript: the source title');
});

test('chorus draft - description is summary, why-watch line, signature and hashtags; keywords deduped', () => {
  const d = draftMetadata(promotion(), WARM);
  const parts = d.description.split('\n\n');
  assert.is(
    parts[0],
    'So I have baked bread for ten years. The oven matters less than you think.',
    'the first sentences',
  );
  assert.is(parts[1], "Why you'll love it: opens on a question.", 'from the rationale');
  assert.is(parts[2], WARM.signature);
  assert.is(parts[3], '#sourdough #overnight #flavour', 'hashtags from the keywords');
  assert.equal(
    d.keywords,
    ['sourdough', 'overnight', 'flavour'],
    'topic first, lowercased, deduped',
  );
  const withTopic = draftMetadata(promotion({ topic: 'Bread Science' }), PLAIN);
  assert.equal(withTopic.keywords, ['bread science', 'sourdough', 'overnight', 'flavour']);
});

test('chorus voice - warm, punchy and plain voices write differently from the same clip', () => {
  const clip = promotion({ transcript: 'So the oven matters less than you think. It is true.' });
  const plain = draftMetadata(clip, PLAIN);
  const warm = draftMetadata(clip, WARM);
  const punchy = draftMetadata(clip, PUNCHY);
  assert.is(plain.title, 'So the oven matters less than you think');
  assert.is(
    warm.title,
    'The oven matters less than you think ✨',
    'warm drops filler, adds its emoji',
  );
  assert.is(
    punchy.title,
    '🔥 The oven matters less than you think! | sourdough',
    'template and tone',
  );
  assert.match(plain.description, /\nWhy: opens on a question\./);
  assert.match(punchy.description, /\nWhy watch: opens on a question\./);
  assert.ok(punchy.description.endsWith('#sourdough'), 'one hashtag for the punchy voice');
  assert.not.match(plain.description, /Baked with love/, 'the signature is the warm voice’s');
  assert.is(new Set([plain.title, warm.title, punchy.title]).size, 3);
  assert.is(chorus(clip, WARM).brand_voice, 'bakery-warm');
});
test('chorus human - the readable version stays within its limit; the description stays whole', () => {
  const voice = { ...PLAIN, signature: 'x '.repeat(2400) };
  const banned = Array.from({ length: 40 }, (_, i) => `term${i}`);
  const transcript = `Why this? ${banned.join(' ')}.`;
  const pkg = chorus(promotion({ transcript }), voice, {
    banned_terms: banned,
    required_disclosures: [],
  });
  assert.is(pkg.status, 'held');
  assert.ok(pkg.human.length <= 8000);
  assert.ok(pkg.description.length > 4000, 'the machine-readable text is not shortened');
});

/** A ClipPromotion as the runtime delivers it. */
function promotionEvent(payload: ClipPromotion, seq: number): MessageEvent<'ClipPromotion'> {
  return {
    type: 'ClipPromotion',
    payload,
    meta: {
      msg_id: deriveMsgId('promotion', seq),
      trace_id: deriveMsgId('trace', seq),
      site_id: 'test',
      _meta_parents: [],
      emitted_at: new Date(NOW).toISOString(),
      stardust_id: deriveMsgId('stardust', seq),
    },
    now: NOW + seq,
  };
}

test('chorus machine - one package per promotion, citing it; a repeat keeps the id, a change does not', () => {
  const o: ChorusOptions = {
    voice: WARM,
    policy: { banned_terms: [], required_disclosures: ['#ad'] },
  };
  const actor = createActor(chorusMachine(o));
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => out.push(e as RuntimeEmit));
  actor.start();
  actor.send(promotionEvent(promotion(), 1));
  actor.send(promotionEvent(promotion(), 2));
  actor.send(promotionEvent(promotion({ rationale: 'Pantheon: (a calm how-to)' }), 3));
  const pubs = out.filter((e): e is PublishEmit => e.type === 'omniva.publish');
  assert.is(pubs.length, 3);
  for (const [i, p] of pubs.entries()) {
    assert.equal([p.channel, p.name, p.contract], ['adv', 'metadata', 'ChorusPackage']);
    assert.equal(p.parents, [deriveMsgId('stardust', i + 1)], 'cites the promotion it answers');
    assert.ok(validateContract('ChorusPackage', p.payload).ok);
  }
  const ids = pubs.map((p) => (p.payload as ChorusPackage).package_id);
  assert.is(ids[0], packageId(promotion().clip_id));
  assert.is(ids[1], ids[0], 'same content, same package');
  assert.is.not(ids[2], ids[0], 'new content, new package');
  assert.is(ids[2], packageId(promotion().clip_id, 1));
  actor.stop();
});

test('chorus voice - the first hook of a clip makes its title, even when a later hook names more keywords', () => {
  const sentences = [
    'Here is the part nobody tells you about: the paperwork.',
    'Taxes and permits pile up.',
    'We never let the sourdough overnight flavour slip again.',
  ];
  assert.is(strongestSentence(sentences, ['sourdough', 'overnight', 'flavour']), sentences[0]);
});

test.run();
