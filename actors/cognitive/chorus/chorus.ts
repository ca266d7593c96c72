import { enqueueActions, setup } from 'xstate';
import {
  type ChorusPackage,
  type ClipPromotion,
  chorusPackageSchema,
  deriveMsgId,
  subjects,
} from '../../../protocols/index.ts';
import {
  defineActorKind,
  type MessageEvent,
  type RuntimeEmit,
  STREAMS,
} from '../../../runtime/index.ts';
import { applyPolicy, type Change, type Conflict, EMPTY_POLICY, type Policy } from './policy.ts';
import { type BrandVoice, DEFAULT_VOICE, draftMetadata } from './voice.ts';

/**
 * Chorus, the brand voice (spec §4.7): writes a promoted clip's title, description and
 * keywords in the configured voice, applies the policy and the platform's limits, and says
 * what it changed and why. A conflict it cannot resolve holds the package: Zenith must not
 * turn a held package into an UploadJob. Chorus only advises.
 */
export interface ChorusOptions {
  voice: BrandVoice;
  policy: Policy;
}

export const DEFAULT_CHORUS: ChorusOptions = { voice: DEFAULT_VOICE, policy: EMPTY_POLICY };

const HUMAN_MAX = chorusPackageSchema.properties.human.maxLength;
const VOICE_MAX = chorusPackageSchema.properties.brand_voice.maxLength;
/** How much of a change's before/after the readable version quotes. */
const QUOTE = 80;

/**
 * Quotes a change where it happens: long texts share most of their start, so both sides are
 * shown from a little before the first character that differs.
 */
function quotePair(from: string, to: string): [string, string] {
  const a = from.replace(/\s+/g, ' ');
  const b = to.replace(/\s+/g, ' ');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const start = Math.max(0, i - 20);
  const quote = (s: string) => {
    const part = s.slice(start, start + QUOTE);
    return JSON.stringify(`${start > 0 ? '…' : ''}${part}${start + QUOTE < s.length ? '…' : ''}`);
  };
  return [quote(a), quote(b)];
}

const changeLine = (c: Change) => {
  const [from, to] = quotePair(c.from, c.to);
  return `- ${c.field}: ${c.why}\n    ${from} → ${to}`;
};
const conflictLine = (c: Conflict) =>
  `- ${c.rule} in ${c.field}${c.term ? ` ("${c.term}")` : ''}: ${c.detail}`;

/**
 * The readable version for a person reviewing the clip. When everything does not fit the
 * contract's limit, the description is shortened here only: the machine-readable
 * `description` always carries it whole.
 */
export function renderHuman(p: Omit<ChorusPackage, 'human'>): string {
  const head = [
    `Title: ${p.title}`,
    `Status: ${p.status === 'held' ? 'HELD, not to be published until resolved' : 'ready'}${
      p.brand_voice ? ` (voice: ${p.brand_voice})` : ''
    }`,
  ].join('\n');
  const tail = [
    `Keywords: ${p.keywords.length ? p.keywords.join(', ') : '(none)'}`,
    `Changes:${p.changes.length ? `\n${p.changes.map(changeLine).join('\n')}` : ' none'}`,
    `Conflicts:${p.conflicts.length ? `\n${p.conflicts.map(conflictLine).join('\n')}` : ' none'}`,
  ].join('\n');
  const frame = `${head}\nDescription:\n\n${tail}`;
  const note = '\n[… shortened here; the full text is in `description`]';
  const room = HUMAN_MAX - frame.length;
  const description =
    p.description.length <= room
      ? p.description
      : `${p.description.slice(0, Math.max(0, room - note.length))}${note}`;
  const human = `${head}\nDescription:\n${description}\n${tail}`;
  // Only a pathological change list could still overflow; the contract limit wins.
  return human.length <= HUMAN_MAX ? human : `${human.slice(0, HUMAN_MAX - 1)}…`;
}

/**
 * The package for one promotion. Pure and deterministic. `revision` counts the distinct
 * packages already issued for this clip: the first package's id depends on the clip alone.
 */
export function composePackage(
  promotion: ClipPromotion,
  o: ChorusOptions,
  revision = 0,
): ChorusPackage {
  const draft = draftMetadata(promotion, o.voice);
  const result = applyPolicy(draft, promotion.transcript, o.policy);
  const body: Omit<ChorusPackage, 'human'> = {
    package_id: packageId(promotion.clip_id, revision),
    clip_id: promotion.clip_id,
    status: result.conflicts.length > 0 ? 'held' : 'ready',
    title: result.title,
    description: result.description,
    keywords: result.keywords,
    changes: result.changes,
    conflicts: result.conflicts,
    brand_voice: o.voice.name.slice(0, VOICE_MAX),
  };
  return { ...body, human: renderHuman(body) };
}

/** A UUIDv4-shaped id hashed from the clip, so a replayed promotion names the same package. */
export const packageId = (clipId: string, revision = 0) =>
  deriveMsgId(`chorus-package:${clipId}`, revision);

/** What identifies a package's content, its id aside. */
const contentDigest = (p: ChorusPackage) =>
  deriveMsgId(JSON.stringify({ ...p, package_id: '' }), 0);

type Context = {
  /** Distinct packages issued for this clip. */
  issued: number;
  last?: { package_id: string; digest: string; status: ChorusPackage['status'] };
};

type Events = MessageEvent<'ClipPromotion'>;

export function chorusMachine(o: ChorusOptions = DEFAULT_CHORUS) {
  return setup({
    types: {} as { context: Context; events: Events; emitted: RuntimeEmit },
  }).createMachine({
    id: 'chorus',
    context: { issued: 0 },
    on: {
      ClipPromotion: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          // A repeated promotion (Zenith re-sending after a failover) answers with the same
          // package id while the content is unchanged; changed content gets a new id.
          const fresh = composePackage(event.payload, o, context.issued);
          const digest = contentDigest(fresh);
          const last = context.last;
          const pkg = last?.digest === digest ? { ...fresh, package_id: last.package_id } : fresh;
          if (pkg === fresh) {
            enqueue.assign({
              issued: context.issued + 1,
              last: { package_id: pkg.package_id, digest, status: pkg.status },
            });
          }
          enqueue.emit({
            type: 'omniva.publish',
            channel: 'adv',
            name: 'metadata',
            contract: 'ChorusPackage',
            payload: pkg,
            parents: event.meta.stardust_id ? [event.meta.stardust_id] : [],
          });
        }),
      },
    },
  });
}

/** Chorus answers Zenith's promotions (`omniva.<site>.adv.zenith.promotion`), one instance per clip. */
export function chorusKind(o: ChorusOptions = DEFAULT_CHORUS) {
  return defineActorKind({
    name: 'chorus',
    version: 1,
    machine: chorusMachine(o),
    accepts: ['ClipPromotion'],
    work: { stream: STREAMS.evt, filter: (site) => subjects.adv(site, 'zenith', 'promotion') },
    key: (env) => (env.payload as ClipPromotion).clip_id,
  });
}
