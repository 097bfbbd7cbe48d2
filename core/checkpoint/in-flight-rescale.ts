// Runs on: main thread (assignRestore). Deals an unaligned checkpoint's channel state to the subtasks of a job
// whose parallelism changed (Flink since 1.13), or refuses where that cannot be exact.
//
// Per old subtask of a task, channel state is: records its inputs had received and not processed (`input` >= 0),
// records its source had read and not pushed on (SOURCE_HELD), and what its output gates had not sent (OUTPUT, by
// gate and writer). Where neither a task nor the consumers of a gate changed parallelism, all stays where it was.
// Else:
// - Input records go to the new subtask that would receive them now: behind a keyed exchange the owner of their
//   key group (computed here with the exchange's key selector, so each record is copied to one thread only, and a
//   key selector that throws is refused before any thread starts); behind any other, each old subtask's records
//   whole, in order, to new subtask `old % parallelism` (as operator state is dealt).
// - What a gate had not sent goes to its consumer's input records, routed the same way, behind the consumer's own.
//   Left in the producer's gate it would be sent first on that gate's channel only, and a consumer reads its
//   channels in any order: a record of the same key that a rescaled producer sends after the restore on another
//   channel could overtake it.
// Order kept: a new subtask replays all it is given before it reads a channel (Subtask.setReplay), so per key every
// record in flight comes before anything read after the restore; the records of one old channel stay in order (the
// consumer's received ones, then the producer's unsent ones, each list in order, and one key's records all go
// to one subtask).
// Control frames a rescaled gate had not sent (watermarks, idleness) are dropped, as a consumer's look-ahead has
// always dropped the ones it read ahead: re-routed, a watermark would reach channels ahead of records that were
// before it. Event time starts at the lowest restored watermark (assignRestore) and moves on with the producers'
// next watermarks; no record becomes late by it. So are the watermarks among the records a rescaled consumer had
// received (format 3): they belonged to one old channel, at places among its records that a re-routing mixes with
// other channels' records, so that channel's watermark would no longer say anything about what came before it;
// restore.ts likewise drops them, and the channels' recorded event time, wherever a subtask's input channels are
// not the ones it had. Latency markers are never channel state.
// Records a source had read and not pushed on go back to their splits where its reader said where in them they
// began (SourceReader.unread: `from` on the first): the splits' positions become those, the records are dropped,
// and whichever subtask reads the splits on reads them again in its own order (a scale-in's merging reader among
// the other splits' records, so event time runs no faster than had they never been read), at any parallelism.
// Else they go, when the parallelism changed, to the new subtask that reads their splits on and no other: it
// pushes them before it reads again. A subtask reading other splits too (a scale-in) would push them ahead of
// those, and their event time could make the others' records late: refused.
// Records in flight on a broadcast exchange into consumers scaled in: new subtask j keeps old j's, with old j's
// broadcast state (restore.ts), and goes on from where old j was in the broadcast stream; old j's beyond the new
// parallelism are dropped with their broadcast state (their keyed records are routed as any).
// Refused: records in flight on a broadcast exchange into consumers scaled out (each consumer subtask was at its own
// place in the broadcast stream, and an added one has none), and records a source had read when its reader could
// not say where they began and no new subtask reads on exactly their splits (see above).

import { keyGroupFor, subtaskForKeyGroup } from '../graph/key-groups.js';
import { canonicalKey, type UserKey } from '../graph/tuple-key.js';
import type { Partitioner } from '../graph/logical-graph.js';
import { subtaskKey } from './snapshot.js';
import { OUTPUT, SOURCE_HELD, type InFlightRecord } from './messages.js';
import type { SourceSplit } from '../connectors/source.js';

/** A custom partitioner's key: as the selector returned it (a hash exchange's is canonicalKey's). */
const asReturned = (k: UserKey): UserKey => k;

/** How records reach one input of a task now. */
export interface InputRoute {
  readonly partitioner: Partitioner;
  /** 'hash' and 'custom': the exchange's key selector. */
  readonly key?: ((value: unknown) => UserKey) | undefined;
  /** 'custom': the exchange's partitioner. */
  readonly partition?: ((key: UserKey, parallelism: number) => number) | undefined;
  /** Who sends them, for messages: the producers' uids. */
  readonly from: string;
}

/** Where one output gate of a task leads now. */
export interface GateRoute extends InputRoute {
  readonly toTask: number;
  readonly toUid: string;
  /** The consumer's input the exchange feeds. */
  readonly input: number;
  /** The consumer's parallelism when the checkpoint was taken, and now. */
  readonly was: number;
  readonly now: number;
  /** The exchange was forward then: its one writer led to the consumer subtask of the producer's own number. */
  readonly wasForward: boolean;
}

/** One task's channel state as the checkpoint holds it (gate and input numbers already those of the job now). */
export interface TaskInFlight {
  readonly uid: string;
  readonly task: number;
  /** Its parallelism when the checkpoint was taken, and now. */
  readonly was: number;
  readonly now: number;
  /** Per old subtask: its records, in the order taken. */
  readonly bySubtask: readonly (readonly InFlightRecord[] | undefined)[];
  /** A source task: its kind, for messages. */
  readonly sourceKind?: string | undefined;
}

export interface RescaleRoutes {
  maxParallelism: number;
  input(task: number, input: number): InputRoute;
  gate(task: number, gate: number): GateRoute;
  /**
   * The new subtask of source task `task` that reads on exactly `splits` (an old subtask's) and no other split, or
   * undefined: they are dealt to several subtasks, or with others, or had all ended, or are not restored.
   */
  held(task: number, splits: readonly string[]): number | undefined;
  /**
   * Hands an old subtask's held records back to their splits of source task `task`: the splits are read on from
   * `from`, where the records began. false: it cannot (the source's positions are not restored, or `from` names a
   * split the checkpoint does not have).
   */
  unread?(task: number, from: readonly SourceSplit[]): boolean;
  /** The error to throw, with the reason (naming the operator). */
  refuse(reason: string): Error;
}

/** The channel state of each new subtask, by subtask key (task/subtask). */
export function redistributeInFlight(tasks: readonly TaskInFlight[], routes: RescaleRoutes): Record<string, InFlightRecord[]> {
  // Per new subtask: its own (what stays, and input records dealt to it), then what producers had not sent to it.
  const own = new Map<string, InFlightRecord[]>();
  const sent = new Map<string, InFlightRecord[]>();
  const add = (to: Map<string, InFlightRecord[]>, task: number, s: number, r: InFlightRecord): void => {
    const k = subtaskKey(task, s);
    let l = to.get(k);
    if (l === undefined) to.set(k, (l = []));
    l.push(r);
  };
  /** The new subtask, or -1: dropped (a broadcast record of a subtask a scale-in removed). */
  const route = (via: InputRoute, value: unknown, old: number, was: number, parallelism: number, what: string): number => {
    switch (via.partitioner) {
      // In canonical form, as the output gate hashes it.
      case 'hash': return subtaskForKeyGroup(keyGroupFor(keyOf(via, value, what, canonicalKey), routes.maxParallelism), routes.maxParallelism, parallelism);
      case 'custom': {
        let to: number;
        try {
          to = via.partition!(keyOf(via, value, what, asReturned), parallelism);
        } catch (e) {
          throw routes.refuse(`${what}: the partitioner of the exchange from ${via.from} threw on one of them (${(e as Error).message})`);
        }
        if (!(Number.isInteger(to) && to >= 0 && to < parallelism)) throw routes.refuse(`${what}: the partitioner of the exchange from ${via.from} returned ${String(to)} for one of them, not a subtask from 0 to ${parallelism - 1}`);
        return to;
      }
      case 'global': return 0;
      case 'broadcast':
        // Each subtask is at its own place in the broadcast stream, its broadcast state and these records together:
        // scaled in, subtask j < parallelism goes on from old j's (restore.ts gives it old j's broadcast state);
        // old j's beyond are gone with their state. Scaled out, a new subtask would have no place to start from.
        if (parallelism > was) throw routes.refuse(`${what} on a broadcast exchange from ${via.from}: each subtask was at its own place in the broadcast stream, and a subtask added by the rescale has none to start from`);
        return old < parallelism ? old : -1;
      default: return old % parallelism;
    }
  };
  const keyOf = <K>(via: InputRoute, value: unknown, what: string, as: (k: UserKey) => K): K => {
    try {
      return as(via.key!(value));
    } catch (e) {
      throw routes.refuse(`${what}: the key selector of the exchange from ${via.from} threw on one of them (${(e as Error).message})`);
    }
  };
  for (const t of tasks) {
    const rescaled = t.was !== t.now;
    for (let s = 0; s < t.bySubtask.length; s++) {
      // Where its held records go: before the subtask that reads their splits on reads again.
      let heldTo: number | undefined;
      // Or back into their splits (`from`, on the first): none of them is channel state then.
      let handedBack = false;
      for (const r of t.bySubtask[s] ?? []) {
        if (r.input === SOURCE_HELD) {
          if (r.from !== undefined) handedBack = routes.unread?.(t.task, r.from) ?? false;
          if (handedBack) continue;
          if (rescaled && r.splits !== undefined) {
            const to = routes.held(t.task, r.splits);
            if (to === undefined) {
              throw routes.refuse(`'${t.uid}' (subtask ${s}) holds records its source had read and not yet pushed on, and its parallelism changed from ${t.was} to ${t.now}: `
                + (r.splits.length === 0
                  ? 'the splits they came from had ended, and pushed ahead of the splits a subtask reads now they could run its event time ahead of those and make their records late'
                  : `no subtask reads on exactly the splits they came from (${r.splits.join(', ')}) now: pushed ahead of other splits they could make those splits' records late, and split over several subtasks later records of theirs could overtake them`)
                + `; and its reader${t.sourceKind === undefined ? '' : ` (a '${t.sourceKind}' source)`} did not say where in their splits they began, to read them again from there`);
            }
            heldTo = to;
          } else if (rescaled && heldTo === undefined) {
            // Held records of a checkpoint that does not say which splits they came from (taken by an older sluice).
            throw routes.refuse(`'${t.uid}' (subtask ${s}) holds records its source had read and not yet pushed on, and its parallelism changed from ${t.was} to ${t.now}: the checkpoint does not say which splits they came from (taken by an older sluice)`);
          }
          add(own, t.task, heldTo ?? s, r);
        } else if (r.input === OUTPUT) {
          const g = routes.gate(t.task, r.output!);
          if (!rescaled && g.was === g.now) { add(own, t.task, s, r); continue; }
          if (r.control !== undefined) continue;
          // The consumer subtask its channel led to; still the right one where the consumers kept their parallelism
          // (a broadcast gate's copy for each of them too).
          const old = g.wasForward ? s : r.writer!;
          const to = g.was === g.now ? old : route(g, r.value, old, g.was, g.now, `records '${t.uid}' had not yet sent to '${g.toUid}' (parallelism ${g.was} then, ${g.now} now)`);
          if (to >= 0) add(sent, g.toTask, to, { input: g.input, value: r.value, timestamp: r.timestamp });
        } else if (!rescaled) {
          add(own, t.task, s, r);
        } else {
          // A watermark among a rescaled input's records: its channel is gone (see the top of the file).
          if (r.control !== undefined) continue;
          const via = routes.input(t.task, r.input);
          const to = route(via, r.value, s, t.was, t.now, `records in flight into '${t.uid}' (parallelism ${t.was} then, ${t.now} now)`);
          if (to >= 0) add(own, t.task, to, r);
        }
      }
    }
  }
  const out: Record<string, InFlightRecord[]> = {};
  for (const [k, l] of own) out[k] = l;
  for (const [k, l] of sent) out[k] = out[k] === undefined ? l : out[k]!.concat(l);
  return out;
}
