// Chorus's compliance pass on its own (pure): banned terms and their replacements, required
// disclosures, the UploadJob's limits, and the diff that explains each change. Every package
// produced here must pass its contract, and a ready one must drop into an UploadJob unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type BrandVoice,
  composePackage,
  containsTerm,
  draftMetadata,
  LIMITS,
  type Policy,
  truncateAtWord,
} from '../../actors/cognitive/chorus/index.ts';
import {
  type ChorusPackage,
  type ClipPromotion,
  formatViolation,
  validateContract,
} from '../../protocols/index.ts';
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

/** Every change of one field, in order, must chain from the draft to the final text. */
function assertChain(pkg: ChorusPackage, field: 'title' | 'description', draft: string) {
  const changes = pkg.changes.filter((c) => c.field === field);
  let at = draft;
  for (const c of changes) {
    assert.is(c.from, at, `${field}: each change starts where the previous one ended`);
    assert.ok(c.why.length > 0, 'every change says why');
    at = c.to;
  }
  assert.is(at, pkg[field], `${field}: the changes lead to the published text`);
}

test('chorus policy - a banned term with a replacement is reworded everywhere, each a change', () => {
  const clip = promotion({
    title_hint: 'The CHEAPEST bread in town',
    keywords: ['cheapest bread', 'sourdough'],
  });
  const voice = { ...PLAIN, title_template: '{source}', signature: 'Cheapest loaf, best crust.' };
  const policy: Policy = {
    banned_terms: ['Cheapest'],
    required_disclosures: [],
    replacements: { cheapest: 'most affordable' },
  };
  const draft = draftMetadata(clip, voice);
  const pkg = chorus(clip, voice, policy);
  assert.is(pkg.status, 'ready');
  assert.equal(pkg.conflicts, []);
  assert.is(pkg.title, 'The Most affordable bread in town', 'a capital stays a capital');
  assert.match(pkg.description, /Most affordable loaf, best crust\./);
  assert.match(draft.description, /#cheapestBread$/, 'the draft had the term in a hashtag');
  assert.match(pkg.description, /#sourdough #mostAffordableBread$/, 'the tag stays one token');
  assert.equal(pkg.keywords, ['sourdough', 'most affordable bread']);
  const why = 'banned term "Cheapest" replaced with "most affordable" (policy replacement)';
  assert.equal(
    pkg.changes.find((c) => c.field === 'keywords'),
    {
      field: 'keywords',
      from: 'sourdough, cheapest bread',
      to: 'sourdough, most affordable bread',
      why,
    },
  );
  assert.equal(
    pkg.changes.map((c) => c.field),
    ['title', 'description', 'keywords'],
  );
  assert.ok(pkg.changes.every((c) => c.why === why));
  assertChain(pkg, 'title', draft.title);
  assertChain(pkg, 'description', draft.description);
  assert.ok(!containsTerm(`${pkg.title} ${pkg.description} ${pkg.keywords}`, 'cheapest'));
});

test('chorus policy - banned terms match case-insensitively on word boundaries only', () => {
  assert.ok(containsTerm('Great AD here', 'ad'));
  assert.ok(containsTerm('see #ad.', 'ad'));
  assert.ok(containsTerm('a free\n money scheme', 'free money'), 'a phrase across whitespace');
  assert.not.ok(containsTerm('an adventure', 'ad'));
  assert.not.ok(containsTerm('a bad day', 'ad'));
  assert.not.ok(containsTerm('#adventure', '#ad'));
  assert.ok(containsTerm('#guaranteedRise', 'guaranteed'), 'a camelCase tag hides nothing');
  assert.ok(containsTerm('#sourdoughGuaranteed', 'guaranteed'));
  assert.ok(containsTerm('#freeMoney', 'free money'));
  assert.not.ok(containsTerm('#guaranteedly', 'guaranteed'));
  assert.not.ok(containsTerm('#bestAdvice', 'ad'));
  const pkg = chorus(promotion(), PLAIN, { banned_terms: ['sour'], required_disclosures: [] });
  assert.is(pkg.status, 'ready', '"sour" is not "sourdough"');
});

test('chorus policy - a missing required disclosure is appended as a change; a present one is not', () => {
  const policy: Policy = { banned_terms: [], required_disclosures: ['#ad', 'Paid partnership'] };
  const pkg = chorus(promotion(), PLAIN, policy);
  const draft = draftMetadata(promotion(), PLAIN);
  assert.is(pkg.status, 'ready');
  assert.ok(pkg.description.endsWith('\n\n#ad Paid partnership'));
  assert.equal(
    pkg.changes.map((c) => c.why),
    [
      'required disclosure "#ad" was missing; appended',
      'required disclosure "Paid partnership" was missing; appended',
    ],
  );
  assertChain(pkg, 'description', draft.description);
  const already = chorus(
    promotion(),
    { ...PLAIN, signature: 'PAID PARTNERSHIP with Acme #AD' },
    policy,
  );
  assert.equal(already.changes, [], 'found case-insensitively, nothing to add');
});

test('chorus limits - long title, too many keywords and a long description are fitted, each a change', () => {
  const long = `Why ${'does this very long sentence keep going '.repeat(5)}forever?`;
  const keywords = Array.from({ length: 20 }, (_, i) => `kw${i}`);
  const voice = { ...PLAIN, signature: `${'word '.repeat(1100)}end #ad` };
  const policy: Policy = { banned_terms: [], required_disclosures: ['#ad', '#sponsored'] };
  const clip = promotion({ transcript: long, keywords });
  const draft = draftMetadata(clip, voice);
  const pkg = chorus(clip, voice, policy);
  assert.is(pkg.status, 'ready');
  assert.ok(draft.title.length > LIMITS.title);
  assert.ok(pkg.title.length <= LIMITS.title && pkg.title.endsWith('…'));
  assert.ok(draft.title.startsWith(pkg.title.slice(0, -1).trimEnd()), 'a prefix of the draft');
  assert.ok(long.includes(`${pkg.title.slice(0, -1)} `), 'cut at a word boundary');
  assert.is(pkg.keywords.length, LIMITS.keywords);
  assert.is(pkg.keywords[0], 'sourdough', 'the topic survives the trim');
  assert.ok(pkg.description.length <= LIMITS.description);
  assert.ok(pkg.description.endsWith('\n\n#sponsored #ad'), 'the cut moved #ad into the tail');
  assert.ok(containsTerm(pkg.description, '#ad') && containsTerm(pkg.description, '#sponsored'));
  const whys = pkg.changes.map((c) => `${c.field}: ${c.why}`);
  assert.ok(whys.some((w) => /^title: platform limit: title was \d+ characters/.test(w)));
  assert.ok(
    whys.some((w) => /^keywords: platform limit: 21 keywords, UploadJob allows 15/.test(w)),
  );
  assert.ok(whys.some((w) => /^description: required disclosure "#sponsored"/.test(w)));
  assert.ok(
    whys.some((w) => /^description: platform limit: description was \d+ characters/.test(w)),
  );
  assertChain(pkg, 'title', draft.title);
  const job = {
    clip_id: pkg.clip_id,
    title: pkg.title,
    description: pkg.description,
    keywords: pkg.keywords,
    scheduled_time: new Date(NOW).toISOString(),
    privacy_status: 'public',
  };
  assert.ok(validateContract('UploadJob', job).ok, 'a ready package drops into an UploadJob');
});

test('chorus limits - a required disclosure that cannot fit is a platform_limit conflict', () => {
  const huge = `Disclosure ${'x'.repeat(LIMITS.description)}`;
  const pkg = chorus(promotion(), PLAIN, { banned_terms: [], required_disclosures: ['#ad', huge] });
  assert.is(pkg.status, 'held');
  assert.is(pkg.conflicts.length, 1);
  assert.is(pkg.conflicts[0]?.rule, 'platform_limit');
  assert.is(pkg.conflicts[0]?.field, 'description');
  assert.ok(pkg.description.endsWith('#ad'), 'what fits is still added');
  assert.ok(truncateAtWord('one two three', 8) === 'one two…');
});

test('chorus policy - a banned term without replacement holds the clip and names the term', () => {
  const policy: Policy = { banned_terms: ['miracle', 'guaranteed'], required_disclosures: ['#ad'] };
  const clip = promotion({
    transcript: 'Why is this a Miracle loaf? It rises every time.',
    keywords: ['sourdough'],
  });
  const pkg = chorus(clip, WARM, policy);
  assert.is(pkg.status, 'held');
  const found = pkg.conflicts.map((c) => `${c.rule}/${c.field}/${c.term}`);
  assert.equal(found, [
    'banned_term/title/miracle',
    'banned_term/description/miracle',
    'banned_term/transcript/miracle',
  ]);
  assert.match(pkg.conflicts[2]?.detail ?? '', /said in the clip itself/);
  assert.match(pkg.human, /Status: HELD/);
  assert.match(pkg.human, /banned_term in transcript \("miracle"\)/);
  // Only in the speech: the metadata is clean yet the clip is still held.
  const spoken = chorus(
    promotion({ transcript: 'It is guaranteed to rise. Trust me on this one.', keywords: [] }),
    { ...PLAIN, hashtags: 0 },
    {
      banned_terms: ['guaranteed'],
      required_disclosures: [],
      replacements: { guaranteed: 'likely' },
    },
  );
  assert.is(spoken.status, 'held');
  assert.equal(
    spoken.conflicts.map((c) => c.field),
    ['transcript'],
  );
  assert.not.match(spoken.title + spoken.description, /guaranteed/i, 'metadata was reworded');
});

test('chorus diff - every change is listed and the changes chain from the draft to the package', () => {
  const voice = { ...WARM, signature: 'Cheap tricks every week.' };
  const policy: Policy = {
    banned_terms: ['cheap'],
    required_disclosures: ['#ad'],
    replacements: { cheap: 'simple' },
  };
  const clip = promotion({ keywords: ['cheap', 'sourdough'] });
  const draft = draftMetadata(clip, voice);
  const pkg = chorus(clip, voice, policy);
  assert.is(pkg.status, 'ready');
  assertChain(pkg, 'title', draft.title);
  assertChain(pkg, 'description', draft.description);
  assert.equal(
    pkg.changes.map((c) => `${c.field}: ${c.why}`),
    [
      'description: banned term "cheap" replaced with "simple" (policy replacement)',
      'keywords: banned term "cheap" replaced with "simple" (policy replacement)',
      'description: required disclosure "#ad" was missing; appended',
    ],
  );
  assert.match(pkg.description, /Simple tricks every week\./, 'the capital is kept');
  for (const section of ['Title:', 'Description:', 'Keywords:', 'Changes:', 'Conflicts: none']) {
    assert.ok(pkg.human.includes(section), `human has ${section}`);
  }
  assert.match(
    pkg.human,
    /"…pens on a question\. Cheap tricks every week\. #sourdough #cheap" → "…pens on a question\. Simple tricks/,
  );
});

test('chorus policy - a phrase never spans two keywords; an empty replacement deletes the word cleanly', () => {
  const split = chorus(
    promotion({ keywords: ['free', 'money'] }),
    { ...PLAIN, hashtags: 0 },
    {
      banned_terms: ['free money'],
      required_disclosures: [],
    },
  );
  assert.is(split.status, 'ready', '"free" and "money" as two keywords are not the phrase');
  const deleted = chorus(
    promotion({ title_hint: 'Honestly the damn best loaf' }),
    {
      ...PLAIN,
      title_template: '{source}',
    },
    { banned_terms: ['damn'], required_disclosures: [], replacements: { damn: '' } },
  );
  assert.is(deleted.title, 'Honestly the best loaf');
  assert.is(deleted.status, 'ready');
});

test('chorus limits - a cut never splits an emoji; a keyword the replacement makes too long is dropped', () => {
  const voice: BrandVoice = { ...WARM, title_template: '{source} {hook}' };
  const clip = promotion({ title_hint: `${'a'.repeat(60)} ${'b'.repeat(55)}` });
  const pkg = chorus(clip, { ...voice, tone: 'punchy' });
  assert.ok(pkg.title.length <= LIMITS.title);
  assert.ok(pkg.title.startsWith('🔥 '), 'the emoji is whole');
  assert.ok(
    !/[\ud800-\udbff](?![\udc00-\udfff])/.test(truncateAtWord(`${'x'.repeat(118)}🔥🔥`, 120)),
  );
  const long = chorus(promotion({ keywords: ['xx', 'sourdough'] }), PLAIN, {
    banned_terms: ['xx'],
    required_disclosures: [],
    replacements: { xx: 'y'.repeat(LIMITS.keyword + 1) },
  });
  assert.ok(long.keywords.every((k) => k.length <= LIMITS.keyword));
  assert.ok(long.changes.some((c) => /keywords longer than 100 characters dropped/.test(c.why)));
});

test.run();
