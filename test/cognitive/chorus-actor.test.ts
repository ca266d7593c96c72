// Chorus hosted for real: a nats-server with JetStream, a ledger, and promotions published on
// `adv.zenith.promotion` the way Zenith does. A promotion whose transcript says a banned word
// must come back held (never ready to publish), naming the word; a clean one comes back ready.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chorusKind, packageId } from '../../actors/cognitive/chorus/index.ts';
import {
  type ChorusPackage,
  type ClipPromotion,
  HEADERS,
  subjects,
  validateContract,
} from '../../protocols/index.ts';
import { type ActorHost, SiteClient } from '../../runtime/index.ts';
import { example } from '../protocols/examples.ts';
import { type ControlSite, openControlSite } from '../support/control-site.ts';
import { waitFor } from '../support/nats.ts';
import { readStream, SITE, STREAMS, startHost } from '../support/site.ts';

const TEST_MS = 30_000;

let site: ControlSite;
let host: ActorHost;
let zenith: SiteClient;

/** Fails a test that hangs instead of letting it stall the file. */
function bounded<T>(ms: number, work: () => Promise<T>): () => Promise<T> {
  return () => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`test exceeded ${ms} ms`)), ms);
    });
    return Promise.race([work(), limit]).finally(() => clearTimeout(timer));
  };
}

test.before(async () => {
  site = await openControlSite();
  host = await startHost(
    site.nc,
    chorusKind({
      voice: { name: 'bakery', tone: 'warm', emoji: false, hashtags: 2, signature: 'Ana’s Bakery' },
      policy: {
        banned_terms: ['miracle cure', 'guaranteed'],
        required_disclosures: ['#ad'],
        replacements: { guaranteed: 'reliable' },
      },
    }),
    { ledger: site.ledger },
  );
  zenith = new SiteClient(site.nc, SITE, { actor: 'zenith', ledger: site.ledger });
});

test.after(async () => {
  await host?.drain();
  await site?.close();
});

/** Publishes a promotion like Zenith and waits for Chorus's package for that clip. */
async function promote(over: Partial<ClipPromotion>) {
  const payload: ClipPromotion = {
    ...example('ClipPromotion'),
    clip_id: crypto.randomUUID(),
    ...over,
  };
  const sent = await zenith.advise('zenith', 'promotion', 'ClipPromotion', payload);
  const found = await waitFor(async () => {
    const msgs = await readStream(site.nc, STREAMS.evt, subjects.adv(SITE, 'chorus', 'metadata'));
    return msgs.find((m) => (m.envelope.payload as ChorusPackage).clip_id === payload.clip_id);
  }, 10_000);
  return { sent, found, pkg: found.envelope.payload as ChorusPackage, clip: payload.clip_id };
}

test(
  'chorus actor - a banned term in the transcript holds the clip and names the term',
  bounded(TEST_MS, async () => {
    const { sent, found, pkg, clip } = await promote({
      transcript: 'Is this sourdough a miracle   cure for bad bread? It rises every time.',
    });
    assert.ok(validateContract('ChorusPackage', pkg).ok);
    assert.is(pkg.status, 'held', 'held, not published');
    assert.is(pkg.package_id, packageId(clip));
    const banned = pkg.conflicts.filter((c) => c.rule === 'banned_term');
    assert.ok(banned.length > 0);
    assert.ok(
      banned.some((c) => c.field === 'transcript' && c.term === 'miracle cure'),
      `the spoken term is named: ${JSON.stringify(pkg.conflicts)}`,
    );
    assert.match(pkg.human, /Status: HELD/);
    assert.match(pkg.human, /"miracle cure"/);
    assert.is(found.envelope.actor, 'chorus');
    assert.ok(sent.stardust_id, 'the promotion was recorded');
    assert.ok(
      (found.envelope._meta_parents ?? []).includes(sent.stardust_id as string),
      'the package cites the promotion',
    );
    assert.ok(found.headers[HEADERS.stardustId], 'the package itself is recorded in Stardust');
  }),
);

test(
  'chorus actor - a clean promotion comes back ready, in the voice, with the disclosure added',
  bounded(TEST_MS, async () => {
    const { pkg } = await promote({
      transcript: 'Why does sourdough need a cold night? The overnight rest builds flavour.',
    });
    assert.ok(validateContract('ChorusPackage', pkg).ok);
    assert.is(pkg.status, 'ready');
    assert.equal(pkg.conflicts, []);
    assert.is(pkg.title, 'Why does sourdough need a cold night?');
    assert.is(pkg.brand_voice, 'bakery');
    assert.match(pkg.description, /Ana’s Bakery/);
    assert.ok(pkg.description.endsWith('#ad'));
    assert.equal(
      pkg.changes.map((c) => c.why),
      ['required disclosure "#ad" was missing; appended'],
    );
  }),
);

test(
  'chorus actor - a replaceable term in the keywords is reworded and the clip stays ready',
  bounded(TEST_MS, async () => {
    const { pkg } = await promote({
      transcript: 'Why does sourdough need a cold night? The overnight rest builds flavour.',
      keywords: ['guaranteed rise', 'sourdough'],
    });
    assert.is(pkg.status, 'ready');
    assert.equal(pkg.keywords, ['sourdough', 'reliable rise']);
    assert.match(pkg.description, /#sourdough #reliableRise/);
    assert.not.match(`${pkg.description} ${pkg.keywords}`, /guaranteed/i);
    const why = 'banned term "guaranteed" replaced with "reliable" (policy replacement)';
    assert.equal(
      pkg.changes.map((c) => `${c.field}: ${c.why}`),
      [
        `description: ${why}`,
        `keywords: ${why}`,
        'description: required disclosure "#ad" was missing; appended',
      ],
    );
  }),
);

test.run();
