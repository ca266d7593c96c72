import {
  type ContractName,
  deriveMsgId,
  type Envelope,
  makeEnvelope,
  OmnivaError,
  subjects,
  validateContract,
} from '../../protocols/index.ts';
import type { EffectContext, ReplyEmit, RuntimeEmit } from '../actor-kind.ts';
import type { EffectJournal } from '../effects.ts';
import type { Instance } from './instance.ts';
import type { OutboxEntry, TimerEntry } from './record.ts';

export interface StepInput {
  instance: Instance;
  event: { type: string; [field: string]: unknown };
  /** msg_id of the input (or a timer id): outputs derive their ids from it. */
  cause: string;
  /** msg_id of the input message, when the step was caused by one (not by a timer). */
  causationId?: string;
  /** Stardust id of the input message, when its publisher recorded it. */
  causedBy?: string;
  site: string;
  trace_id: string;
  /** Armed timers before this step (the step may set or cancel some). */
  timers: StepOutcome['timers'];
  journal: EffectJournal;
  signal: AbortSignal;
  now: () => number;
  /** Publishes progress from inside an effect (see EffectContext.report). */
  report?: EffectContext['report'];
  /** Present on a host allowed to issue commands (Zenith holding the lease). */
  authority?: Authority;
}

/** What stamps commands: the current lease epoch (undefined when not the leader). */
export interface Authority {
  issuer: string;
  epoch(): number | undefined;
}

export interface StepOutcome {
  outbox: OutboxEntry[];
  timers: Record<string, TimerEntry>;
  reply?: ReplyEmit;
}

function subjectFor(
  site: string,
  actor: string,
  e: Extract<RuntimeEmit, { type: 'omniva.publish' }>,
) {
  if (e.channel === 'evt') return subjects.evt(site, actor, e.name);
  if (e.channel === 'adv') return subjects.adv(site, actor, e.name);
  return subjects.alert(site, e.name);
}

function checkEmit(contract: ContractName, payload: unknown, actor: string): void {
  const v = validateContract(contract, payload);
  if (!v.ok) {
    throw new OmnivaError(
      'OMNIVA_ERR_EMIT_INVALID',
      `${actor} emitted an invalid ${contract}: ${v.violations.map((x) => `${x.pointer || '/'} ${x.reason}`).join('; ')}`,
      { violations: v.violations },
    );
  }
}

const causedBy = (input: StepInput) => (input.causedBy ? { caused_by: input.causedBy } : {});

/**
 * Delivers one event and everything it leads to: effects are run through the journal
 * and their results delivered back until the machine is quiet. Nothing is persisted
 * or published here; the caller does that once the whole step succeeded.
 */
export async function runStep(input: StepInput): Promise<StepOutcome> {
  const { instance, site, journal } = input;
  const actor = instance.kind.name;
  const timers = { ...input.timers };
  const outbox: OutboxEntry[] = [];
  let reply: ReplyEmit | undefined;
  const queue: RuntimeEmit[] = instance.deliver(input.event);

  while (queue.length > 0) {
    const e = queue.shift() as RuntimeEmit;
    switch (e.type) {
      case 'omniva.publish': {
        checkEmit(e.contract, e.payload, actor);
        const envelope: Envelope = makeEnvelope({
          type: e.contract,
          site_id: site,
          payload: e.payload as Record<string, unknown>,
          trace_id: input.trace_id,
          _meta_parents: e.parents ?? [],
          actor,
          ...(input.causationId ? { causation_id: input.causationId } : {}),
          // Per actor: two actors answering one message must not share ids, or JetStream
          // would drop the second answer as a duplicate.
          msg_id: deriveMsgId(`${actor}/${input.cause}`, outbox.length),
          now: new Date(input.now()),
        });
        outbox.push({
          cause: input.cause,
          subject: subjectFor(site, actor, e),
          envelope,
          ...causedBy(input),
        });
        break;
      }
      case 'omniva.command': {
        checkEmit(e.contract, e.payload, actor);
        const epoch = input.authority?.epoch();
        if (!input.authority || epoch === undefined) {
          throw new OmnivaError(
            'OMNIVA_ERR_NOT_LEADER',
            `${actor} issued a ${e.contract} command without holding the site's Zenith lease`,
          );
        }
        const command = {
          epoch,
          issued_by: input.authority.issuer,
          evidence: e.evidence,
          rollback: e.rollback,
        };
        checkEmit('ZenithCommandMeta', command, actor);
        const envelope: Envelope = makeEnvelope({
          type: e.contract,
          site_id: site,
          payload: e.payload as Record<string, unknown>,
          trace_id: input.trace_id,
          _meta_parents: e.evidence,
          actor,
          ...(input.causationId ? { causation_id: input.causationId } : {}),
          msg_id: deriveMsgId(`${actor}/${input.cause}`, outbox.length),
          now: new Date(input.now()),
          command,
        });
        const subject = e.instance
          ? subjects.cmdTo(site, e.worker, e.instance)
          : subjects.cmd(site, e.worker);
        outbox.push({ cause: input.cause, subject, envelope, ...causedBy(input) });
        break;
      }
      case 'omniva.effect': {
        const result = await journal.run(
          actor,
          instance.key,
          e,
          instance.kind.effects?.[e.name],
          input.signal,
          input.now,
          input.report,
        );
        queue.push(...instance.deliver(result));
        break;
      }
      case 'omniva.timer.set':
        timers[e.id] = { at: e.at, event: e.event, trace_id: input.trace_id };
        break;
      case 'omniva.timer.cancel':
        delete timers[e.id];
        break;
      case 'omniva.reply':
        checkEmit(e.contract, e.payload, actor);
        reply = e;
        break;
    }
  }
  return reply ? { outbox, timers, reply } : { outbox, timers };
}
