import type { Explanation } from '../../../protocols/index.ts';
import {
  clip,
  num,
  ordinal,
  type PacketView,
  type Rec,
  rankPhrase,
  recs,
  say,
  span,
  str,
  when,
} from './fields.ts';

export type Alternative = Explanation['alternatives'][number];

/**
 * What lost, and why, in the packets' own words: the candidates of a VoteReport that did not
 * become the clip, what an Arbitration rejected, the metadata Chorus replaced, the slot a
 * reschedule gave up. Every entry cites the packets its wording comes from.
 */
export function alternativesOf(views: readonly PacketView[]): Alternative[] {
  const out: Alternative[] = [];
  const seen = new Set<string>();
  const add = (a: Alternative) => {
    const key = `${a.what}\u0000${a.why_lost}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(a);
  };
  const promotions = views.filter((v) => v.type === 'ClipPromotion' && v.body);
  for (const v of views) {
    if (!v.body) continue;
    if (v.type === 'VoteReport') for (const a of voteLosers(v, v.body, promotions)) add(a);
    if (v.type === 'Arbitration') for (const a of rejected(v, v.body, views)) add(a);
    if (v.type === 'ChorusPackage') for (const a of replaced(v, v.body)) add(a);
    if (v.type === 'ScheduleChange') {
      const previous = str(v.body, 'previous_slot');
      if (str(v.body, 'change') === 'rescheduled' && previous) {
        add({
          what: say(
            `slot ${previous}`,
            when(str(v.body, 'channel'), (c) => ` on channel ${c}`),
          ),
          why_lost: say(
            'rescheduled',
            when(str(v.body, 'slot'), (s) => ` to ${s}`),
            when(str(v.body, 'reason'), (r) => `: ${clip(r, 300)}`),
          ),
          stardust_ids: [v.packet.stardust_id],
        });
      }
    }
  }
  return out;
}

/**
 * The ranked candidates that lost to the promoted one (the promotion of the same analysis in
 * the story), or, with no promotion in the story, to the report's own first place.
 */
function voteLosers(v: PacketView, b: Rec, promotions: readonly PacketView[]): Alternative[] {
  const ranking = recs(b, 'ranking');
  const job = str(b, 'analysis_job_id');
  const chosen = promotions.filter(
    (p) => job !== undefined && str(p.body, 'analysis_job_id') === job,
  );
  const won = new Set(chosen.map((p) => num(p.body, 'candidate_index')));
  won.delete(undefined);
  const promoted = won.size > 0;
  const refIndex = promoted
    ? ranking.findIndex((r) => won.has(num(r, 'candidate_index')))
    : ranking.length > 0
      ? 0
      : -1;
  const ref = ranking[refIndex];
  const refPromotion = chosen.find(
    (p) => ref !== undefined && num(p.body, 'candidate_index') === num(ref, 'candidate_index'),
  );
  const out: Alternative[] = [];
  ranking.forEach((r, i) => {
    const index = num(r, 'candidate_index');
    if (i === refIndex || (index !== undefined && won.has(index))) return;
    const what = say(
      when(index, (x) => `candidate ${x}`) ?? 'a candidate',
      when(span({ start_time: r.start_time, end_time: r.end_time }), (s) => ` (${s})`),
    );
    const rank = rankPhrase(r);
    let against = '';
    let ids = [v.packet.stardust_id];
    if (ref !== undefined && i > refIndex) {
      against = say(
        `, behind ${span(ref) ?? 'the first'}`,
        when(num(ref, 'score'), (s) => ` at score ${s}`),
      );
    } else if (ref !== undefined && refPromotion) {
      against = `, above ${span(ref) ?? 'the promoted candidate'}, which ${refPromotion.packet.actor} promoted instead`;
      ids = [v.packet.stardust_id, refPromotion.packet.stardust_id];
    }
    out.push({
      what,
      why_lost: say(
        `ranked ${ordinal(i + 1)} of ${ranking.length}`,
        rank && ` with ${rank}`,
        against,
      ),
      stardust_ids: ids,
    });
  });
  return out;
}

/** An Arbitration's rejected advice, citing the rejected packet too when the story holds it. */
function rejected(v: PacketView, b: Rec, views: readonly PacketView[]): Alternative[] {
  return recs(b, 'rejected')
    .filter((r) => str(r, 'module') && str(r, 'ref'))
    .map((r) => {
      const ref = str(r, 'ref') as string;
      const cited = views.find(
        (x) =>
          x.packet.stardust_id === ref ||
          x.packet.ref === ref ||
          str(x.packet.payload as Rec, 'msg_id') === ref,
      );
      return {
        what: `${str(r, 'module')} advice ${ref}`,
        why_lost: say(
          `rejected by ${v.packet.actor}`,
          when(str(b, 'decision'), (d) => ` deciding "${d}"`),
          when(str(r, 'why'), (w) => `: ${clip(w, 600)}`),
        ),
        stardust_ids: cited
          ? [v.packet.stardust_id, cited.packet.stardust_id]
          : [v.packet.stardust_id],
      };
    });
}

/** The drafts Chorus replaced: each change's `from` lost to its `to`. */
function replaced(v: PacketView, b: Rec): Alternative[] {
  return recs(b, 'changes')
    .filter((c) => str(c, 'field') && str(c, 'from') !== undefined)
    .map((c) => ({
      what: `${str(c, 'field')} "${clip(str(c, 'from') as string)}"`,
      why_lost: say(
        `${v.packet.actor} changed it`,
        when(str(c, 'to'), (t) => ` to "${clip(t)}"`),
        when(str(c, 'why'), (w) => `: ${clip(w, 300)}`),
      ),
      stardust_ids: [v.packet.stardust_id],
    }));
}
