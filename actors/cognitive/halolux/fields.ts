import type { StardustPacket } from '../../../protocols/index.ts';

/**
 * Defensive reads of what a packet holds. Packets are read back from a stream anyone with
 * write access could have forged, and a body may be absent (over 4 KB it stays in its own
 * stream, see runtime/internal/recorder.ts), so every read checks the type it expects and
 * answers undefined rather than guessing.
 */

export type Rec = Record<string, unknown>;

/** A packet with the recorder's fields picked out: message type, event name, body. */
export interface PacketView {
  packet: StardustPacket;
  type: string | undefined;
  name: string | undefined;
  body: Rec | undefined;
}

export const isRec = (v: unknown): v is Rec =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function str(b: Rec | undefined, k: string): string | undefined {
  const v = b?.[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function num(b: Rec | undefined, k: string): number | undefined {
  const v = b?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function rec(b: Rec | undefined, k: string): Rec | undefined {
  const v = b?.[k];
  return isRec(v) ? v : undefined;
}

export function recs(b: Rec | undefined, k: string): Rec[] {
  const v = b?.[k];
  return Array.isArray(v) ? v.filter(isRec) : [];
}

export function strs(b: Rec | undefined, k: string): string[] {
  const v = b?.[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

export function viewOf(packet: StardustPacket): PacketView {
  const p = packet.payload as Rec;
  return { packet, type: str(p, 'type'), name: str(p, 'name'), body: rec(p, 'body') };
}

/** Joins the parts that are present; a phrase built on an absent field is left out whole. */
export function say(...parts: (string | undefined | false)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join('');
}

/** `f(v)` when `v` is present, else undefined: a phrase exists only with its field. */
export function when<T>(v: T | undefined, f: (x: T) => string): string | undefined {
  return v === undefined ? undefined : f(v);
}

/** A long value quoted by its start: still only text the packet holds. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** `12.5–41 s` from a candidate's times, or `candidate 3` when the times are absent. */
export function span(r: Rec | undefined): string | undefined {
  const s = num(r, 'start_time');
  const e = num(r, 'end_time');
  if (s !== undefined && e !== undefined) return `${s}–${e} s`;
  return when(num(r, 'candidate_index'), (i) => `candidate ${i}`);
}

/** `score 0.81 (consensus 0.9; dissent: risk_guard)`, from one VoteReport ranking row. */
export function rankPhrase(r: Rec): string {
  const dissent = strs(r, 'dissent');
  const detail = [
    when(num(r, 'consensus'), (c) => `consensus ${c}`),
    Array.isArray(r.dissent) ? `dissent: ${dissent.length ? dissent.join(', ') : 'none'}` : '',
  ].filter((x): x is string => Boolean(x));
  return say(
    when(num(r, 'score'), (s) => `score ${s}`),
    detail.length > 0 && ` (${detail.join('; ')})`,
  );
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st. */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
