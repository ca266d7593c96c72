import type { Word } from '../analyzer/transcript.ts';

/** Caption look (config `editor.captions`): ASS style fields in plain words. */
export interface CaptionStyle {
  font: string;
  size: number;
  /** `&HAABBGGRR` colours, as ASS writes them. */
  primary: string;
  highlight: string;
  outline: string;
  outline_width: number;
  /** Distance of the caption's baseline from the bottom edge, in pixels of 1920. */
  margin_v: number;
  /** Most words on one caption line. */
  max_words: number;
}

export const DEFAULT_CAPTION_STYLE: CaptionStyle = {
  font: 'DejaVu Sans',
  size: 84,
  primary: '&H00FFFFFF',
  highlight: '&H0000D7FF',
  outline: '&H00000000',
  outline_width: 5,
  margin_v: 420,
  max_words: 4,
};

const cs = (s: number) => Math.max(1, Math.round(s * 100));

function assTime(s: number): string {
  const t = Math.max(0, Math.round(s * 100));
  const h = Math.floor(t / 360000);
  const m = Math.floor((t % 360000) / 6000);
  const sec = Math.floor((t % 6000) / 100);
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(t % 100).padStart(2, '0')}`;
}

const escapeAss = (w: string) => w.replace(/[{}\\]/g, '');

/** The caption lines of a clip: the words inside it, a few at a time, times relative to the cut. */
export function captionLines(words: readonly Word[], start: number, end: number, maxWords: number) {
  const inside = words.filter((w) => w.start >= start - 0.05 && w.end <= end + 0.05);
  const lines: Word[][] = [];
  for (const w of inside) {
    const line = lines.at(-1);
    const gap = line ? w.start - (line.at(-1) as Word).end : Infinity;
    if (line && line.length < maxWords && gap < 0.7 && !/[.!?,;:]$/.test((line.at(-1) as Word).w))
      line.push(w);
    else lines.push([w]);
  }
  return lines.map((l) => l.map((w) => ({ w: w.w, start: w.start - start, end: w.end - start })));
}

/**
 * An ASS script burning the words in as they are spoken: each line shows while its words
 * are said, and karaoke tags (`\k`, centiseconds) turn every word to the highlight colour
 * at its own time.
 */
export function buildAss(
  words: readonly Word[],
  start: number,
  end: number,
  style: CaptionStyle,
): { ass: string; cues: number } {
  const lines = captionLines(words, start, end, style.max_words);
  const events = lines.map((line) => {
    const from = (line[0] as Word).start;
    const to = Math.min(end - start, (line.at(-1) as Word).end + 0.15);
    let at = from;
    const text = line
      .map((w) => {
        const lead = cs(w.start - at);
        at = w.end;
        // The pause before a word keeps the previous colour; the word itself then lights up.
        return `${lead > 1 ? `{\\k${lead}}` : ''}{\\k${cs(w.end - w.start)}}${escapeAss(w.w)}`;
      })
      .join(' ');
    return `Dialogue: 0,${assTime(from)},${assTime(to)},Caption,,0,0,0,,${text}`;
  });
  const ass = [
    '[Script Info]',
    'ScriptType: v4.00+',
    'PlayResX: 1080',
    'PlayResY: 1920',
    'WrapStyle: 0',
    'ScaledBorderAndShadow: yes',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    // Karaoke fills from Secondary to Primary: words start plain and turn to the highlight.
    `Style: Caption,${style.font},${style.size},${style.highlight},${style.primary},${style.outline},&H80000000,1,0,0,0,100,100,0,0,1,${style.outline_width},0,2,60,60,${style.margin_v},1`,
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...events,
    '',
  ].join('\n');
  return { ass, cues: events.length };
}
