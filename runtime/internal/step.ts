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
  /**
   * What an effect gets to be cancelled and to report progress; asked for when the step runs
   * its first effect (most steps run none).
   */
  effectContext: () => { signal: AbortSignal; report?: EffectContext['report'] };
  now: () => number;
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

interface StepState {
  input: StepInput;
  timers: Record<string, TimerEntry>;
  outbox: OutboxEntry[];
  reply?: ReplyEmit;
  effects?: ReturnType<StepInput['effectContext']>;
  queue: RuntimeEmit[];
}

/**
 * Delivers one event and everything it leads to: effects are run through the journal
 * and their results delivered back until the machine is quiet. Nothing is persisted
 * or published here; the caller does that once the whole step succeeded. A step that runs no
 * effect (most do not) completes synchronously; one that does returns a promise.
 */
export function runStep(input: StepInput): StepOutcome | Promise<StepOutcome> {
  return drain({
    input,
    timers: { ...input.timers },
    outbox: [],
    queue: input.instance.deliver(input.event),
  });
}

function drain(s: StepState): StepOutcome | Promise<StepOutcome> {
  while (s.queue.length > 0) {
    const e = s.queue.shift() as RuntimeEmit;
    if (e.type === 'omniva.effect') return runEffect(s, e).then(() => drain(s));
    apply(s, e);
  }
  const { outbox, timers, reply } = s;
  return reply ? { outbox, timers, reply } : { outbox, timers };
}

async function runEffect(s: StepState, e: Extract<RuntimeEmit, { type: 'omniva.effect' }>) {
  const { input } = s;
  const { instance } = input;
  s.effects ??= input.effectContext();
  const result = await input.journal.run(
    instance.kind.name,
    instance.key,
    e,
    instance.kind.effects?.[e.name],
    s.effects.signal,
    input.now,
    s.effects.report,
  );
  s.queue.push(...instance.deliver(result));
}

function apply(s: StepState, e: Exclude<RuntimeEmit, { type: 'omniva.effect' }>): void {
  const { input, outbox, timers } = s;
  const { site } = input;
  const actor = input.instance.kind.name;
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
      return;
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
      return;
    }
    case 'omniva.timer.set':
      timers[e.id] = { at: e.at, event: e.event, trace_id: input.trace_id };
      return;
    case 'omniva.timer.cancel':
      delete timers[e.id];
      return;
    case 'omniva.reply':
      checkEmit(e.contract, e.payload, actor);
      s.reply = e;
      return;
  }
}
