import type {
  AnalysisReport,
  Arbitration,
  ChorusPackage,
  ClipPromotion,
  ClipRendered,
  ConflictReport,
  Envelope,
  PublishReceipt,
  ScheduleChange,
  VideoAssetCreated,
  VoteReport,
  WorkerStatus,
} from '../../protocols/index.ts';

const s1 = (x: number) => x.toFixed(1);

/** One line of progress for a message worth showing a person, or undefined. */
export function progressLine(e: Envelope): string | undefined {
  const p = e.payload;
  switch (e.type) {
    case 'VideoAssetCreated': {
      const a = p as VideoAssetCreated;
      return `  ✓ ingested "${a.title ?? a.source_item}" (${s1(a.metadata.duration_s)} s${a.captions_uri ? ', with captions' : ''})`;
    }
    case 'AnalysisReport': {
      const r = p as AnalysisReport;
      return `  ✓ analysed: ${r.result.clip_candidates.length} candidates, keywords ${r.result.keywords_detected.slice(0, 5).join(', ')} (${r.model.transcript_source})`;
    }
    case 'VoteReport': {
      const v = p as VoteReport;
      const top = v.ranking[0];
      const voters = v.voters.filter((x) => x.status === 'voted').length;
      return top
        ? `  ✓ Pantheon (${voters} voters): best ${s1(top.start_time)}–${s1(top.end_time)} s, score ${top.score.toFixed(2)}, consensus ${top.consensus.toFixed(2)}`
        : '  ✓ Pantheon: no candidates to vote on';
    }
    case 'ClipPromotion': {
      const c = p as ClipPromotion;
      return `  ✓ Zenith promoted ${s1(c.start_time)}–${s1(c.end_time)} s to clip ${c.clip_id.slice(0, 8)} (score ${c.score.toFixed(2)})`;
    }
    case 'ClipRendered': {
      const r = p as ClipRendered;
      return `  ✓ rendered ${r.edit_summary.width}×${r.edit_summary.height}, ${s1(r.edit_summary.duration_s)} s, ${r.edit_summary.caption_cues} caption lines in ${s1(r.render_ms / 1000)} s`;
    }
    case 'ChorusPackage': {
      const c = p as ChorusPackage;
      return c.status === 'ready'
        ? `  ✓ Chorus: "${c.title}"`
        : `  ! Chorus held the clip: ${c.conflicts.map((x) => x.detail).join('; ')}`;
    }
    case 'ScheduleChange': {
      const s = p as ScheduleChange;
      return `  ✓ ${s.change} ${s.slot ?? ''} on ${s.channel}: ${s.reason}`;
    }
    case 'PublishReceipt': {
      const r = p as PublishReceipt;
      return `  ✓ published to ${r.target} (${r.status} for ${r.scheduled_time})`;
    }
    case 'ConflictReport': {
      const c = p as ConflictReport;
      return `  ! Paradox: ${c.conflict} (${c.severity}, ${c.action})`;
    }
    case 'Arbitration': {
      const a = p as Arbitration;
      return a.decision === 'hold' || a.decision === 'reschedule'
        ? `  ! Zenith ${a.decision}: ${a.reason}`
        : undefined;
    }
    case 'WorkerStatus': {
      const s = p as WorkerStatus;
      return s.status === 'ERROR'
        ? `  ! ${s.worker} failed: ${s.error?.code} ${s.error?.message ?? ''}`
        : undefined;
    }
    default:
      return undefined;
  }
}
