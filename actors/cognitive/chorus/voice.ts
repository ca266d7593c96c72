import type { ClipPromotion } from '../../../protocols/index.ts';

/**
 * Brand voices and the deterministic drafter: the same promotion and voice always give the
 * same title, description and keywords, so a package can be explained and reproduced. Policy
 * and platform limits are applied afterwards (policy.ts), so every change they make shows up
 * in the package's diff instead of being hidden inside the draft.
 */
export type Tone = 'warm' | 'punchy' | 'plain';

export interface BrandVoice {
  /** Recorded on every package as `brand_voice` (at most 64 characters). */
  name: string;
  /** `{hook}`, `{topic}` and `{source}` (the source video's title); default `{hook}`. */
  title_template?: string;
  tone: Tone;
  emoji: boolean;
  /** How many keywords become hashtags at the end of the description. */
  hashtags: number;
  /** A closing line of every description (channel name, call to action). */
  signature?: string;
}

export const DEFAULT_VOICE: BrandVoice = {
  name: 'plain',
  tone: 'plain',
  emoji: false,
  hashtags: 3,
};

export interface Draft {
  title: string;
  description: string;
  keywords: string[];
}

/** Sentences that open a clip well even without the transcript's keywords. */
const HOOKS = [
  /\bnobody tells you\b/i,
  /\bthe (trick|secret|mistake|reason)\b/i,
  /\bhere'?s (how|why|what|the)\b/i,
  /\b(what if|how to|stop|never|always)\b/i,
];
/** Spoken lead-ins that read as filler in print; punchy and warm titles drop them. */
const FILLER = /^(so|and|but|well|okay|ok|now|basically|honestly|look|you know),?\s+/i;
const EMOJI: Record<Tone, string> = { warm: '✨', punchy: '🔥', plain: '🎬' };
const SUMMARY_SENTENCES = 2;
const SUMMARY_MAX = 300;
const WHY_MAX = 200;

/** Transcript sentences, in order, whitespace collapsed. */
export function splitSentences(text: string): string[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return [];
  return (flat.match(/[^.!?]+(?:[.!?]+|$)/g) ?? []).map((s) => s.trim()).filter(Boolean);
}

const keywordHits = (sentence: string, keywords: readonly string[]) => {
  const low = sentence.toLowerCase();
  return keywords.filter((k) => k && low.includes(k.toLowerCase())).length;
};

/**
 * The sentence a title is made of: the first question or hook (viewers stop scrolling for
 * those, and a clip is cut to open on one), else the sentence naming most keywords; ties go
 * to the earlier sentence.
 */
export function strongestSentence(sentences: readonly string[], keywords: readonly string[]) {
  let best: { s: string; rank: number; hits: number } | undefined;
  for (const s of sentences) {
    const hook = s.endsWith('?') || HOOKS.some((h) => h.test(s)) ? 1 : 0;
    const hits = keywordHits(s, keywords);
    if (!best || hook > best.rank || (hook === 0 && best.rank === 0 && hits > best.hits)) {
      best = { s, rank: hook, hits };
    }
  }
  return best?.s;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The hook sentence as the voice would say it in a title. */
export function shapeHook(sentence: string, tone: Tone): string {
  const question = sentence.endsWith('?');
  let s = sentence.replace(/[.!?]+$/, '').trim();
  if (tone !== 'plain') s = s.replace(FILLER, '');
  s = capitalise(s);
  if (question) return `${s}?`;
  return tone === 'punchy' ? `${s}!` : s;
}

function applyTemplate(template: string, values: Record<string, string>): string {
  const filled = template.replace(/\{(hook|topic|source)\}/g, (_, k: string) => values[k] ?? '');
  // An empty placeholder must not leave a dangling separator ("Hook | ").
  return filled
    .replace(/\s+/g, ' ')
    .replace(/^\s*[|:·–—-]\s*/, '')
    .replace(/\s*[|:·–—-]\s*$/, '')
    .trim();
}

/** Drafts the title: the strongest sentence, then the source title, the topic, a fallback. */
export function draftTitle(p: ClipPromotion, voice: BrandVoice, keywords: readonly string[]) {
  const sentence = strongestSentence(splitSentences(p.transcript), keywords);
  const hook = sentence ? shapeHook(sentence, voice.tone) : p.title_hint || p.topic || 'New clip';
  const title = applyTemplate(voice.title_template ?? '{hook}', {
    hook,
    topic: p.topic ?? '',
    source: p.title_hint ?? '',
  });
  const text = title || hook;
  if (!voice.emoji) return text;
  return voice.tone === 'punchy' ? `${EMOJI.punchy} ${text}` : `${text} ${EMOJI[voice.tone]}`;
}

/** The first sentences of the clip, kept short: a description opens with what the clip says. */
export function summarise(transcript: string): string {
  let out = '';
  for (const s of splitSentences(transcript).slice(0, SUMMARY_SENTENCES)) {
    const next = out ? `${out} ${s}` : s;
    if (next.length > SUMMARY_MAX) break;
    out = next;
  }
  return out ? capitalise(out) : '';
}

/**
 * The "why watch" line from Pantheon's rationale. Its parenthesised reasons are the readable
 * part ("opens on a question"); agent names and scores are for operators, not viewers.
 */
export function whyWatch(rationale: string, tone: Tone): string {
  const reasons = [...rationale.matchAll(/\(([^()]{3,})\)/g)].map((m) => (m[1] ?? '').trim());
  let why = reasons.join('; ');
  if (!why) {
    const afterColon = rationale.includes(':') ? rationale.slice(rationale.indexOf(':') + 1) : '';
    why = (splitSentences(afterColon || rationale)[0] ?? '')
      .replace(/\b[a-z]+_[a-z_]+\s+\d(\.\d+)?\b,?/g, '')
      .replace(/[.!?]+$/, '')
      .trim();
  }
  if (!why) return '';
  if (why.length > WHY_MAX) why = `${why.slice(0, WHY_MAX - 1).trimEnd()}…`;
  const lead = tone === 'warm' ? "Why you'll love it" : tone === 'punchy' ? 'Why watch' : 'Why';
  return `${lead}: ${why}.`;
}

/** `#camelCase` tags from keywords; a keyword with nothing tag-worthy is skipped. */
export function hashtags(keywords: readonly string[], n: number): string[] {
  const tags: string[] = [];
  for (const k of keywords) {
    if (tags.length >= n) break;
    const words = k.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (words.length === 0) continue;
    const tag = `#${words.map((w, i) => (i === 0 ? w : capitalise(w))).join('')}`;
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/**
 * Keywords: the topic first (so trimming to the platform's limit never drops what the clip is
 * about), then the promotion's keywords; lowercased, trimmed, deduplicated.
 */
export function draftKeywords(p: ClipPromotion): string[] {
  const out: string[] = [];
  for (const k of [p.topic ?? '', ...p.keywords]) {
    const low = k.replace(/\s+/g, ' ').trim().toLowerCase();
    if (low && !out.includes(low)) out.push(low);
  }
  return out;
}

/** The voice's draft for one promotion, before policy and platform limits. */
export function draftMetadata(p: ClipPromotion, voice: BrandVoice): Draft {
  const keywords = draftKeywords(p);
  const tags = hashtags(keywords, Math.max(0, voice.hashtags)).join(' ');
  const description = [
    summarise(p.transcript),
    whyWatch(p.rationale, voice.tone),
    voice.signature?.trim() ?? '',
    tags,
  ]
    .filter(Boolean)
    .join('\n\n');
  return { title: draftTitle(p, voice, keywords), description, keywords };
}
