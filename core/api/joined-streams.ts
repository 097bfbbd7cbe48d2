// Runs on: main thread and every worker thread (the job module builds the graph on each). The window join:
// `a.join(b).where(k1).equalTo(k2).window(assigner).apply(fn)` emits fn(x, y) for every pair of an `a` record and
// a `b` record with equal keys in the same window, stamped with the window's maxTimestamp.

import { JobDefinitionError } from './errors.js';
import type { Key } from '../graph/key-groups.js';
import type { KeySelector } from './functions.js';
import type { JoinFunction } from './window-functions.js';
import { DataStream } from './data-stream.js';
import { Trigger } from '../windows/trigger.js';
import { checkAllowedLateness, WindowAssigner } from '../windows/window-assigner.js';
import type { Window } from '../windows/window.js';
import { checkWindowSpec, windowFingerprint, type WindowSpec } from '../windows/window-spec.js';

export class JoinedStreams<A, B> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>) {}

  where<K extends Key>(key1: KeySelector<A, K>): { equalTo(key2: KeySelector<B, K>): JoinWhereEqual<A, B, K> } {
    if (typeof key1 !== 'function') throw new JobDefinitionError('join(...).where: expected a key selector');
    return {
      equalTo: (key2) => {
        if (typeof key2 !== 'function') throw new JobDefinitionError('join(...).where(...).equalTo: expected a key selector');
        return new JoinWhereEqual<A, B, K>(this.first, this.second, key1, key2);
      },
    };
  }
}

export class JoinWhereEqual<A, B, K extends Key> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly key1: KeySelector<A, K>, private readonly key2: KeySelector<B, K>) {}

  window<W extends Window>(assigner: WindowAssigner<W>): WindowedJoin<A, B, K, W> {
    if (!(assigner instanceof WindowAssigner)) throw new JobDefinitionError('join(...).window: expected a window assigner');
    return new WindowedJoin<A, B, K, W>(this.first, this.second, this.key1, this.key2, assigner);
  }
}

export class WindowedJoin<A, B, K extends Key, W extends Window> {
  private trig: Trigger<W>;
  private lateness = 0;

  /** @internal */
  constructor(
    private readonly first: DataStream<A>, private readonly second: DataStream<B>,
    private readonly key1: KeySelector<A, K>, private readonly key2: KeySelector<B, K>,
    private readonly assigner: WindowAssigner<W>,
  ) {
    this.trig = assigner.defaultTrigger();
  }

  trigger(trigger: Trigger<W>): this {
    if (!(trigger instanceof Trigger)) throw new JobDefinitionError('join window trigger: expected a Trigger');
    this.trig = trigger;
    return this;
  }

  /** Event time: late records within `ms` after a window's end still join (and fire it again). */
  allowedLateness(ms: number): this {
    this.lateness = checkAllowedLateness(ms, this.assigner);
    return this;
  }

  apply<R>(fn: JoinFunction<A, B, R>): DataStream<R> {
    if (typeof fn !== 'function') throw new JobDefinitionError(`join apply: expected a function (left, right) => result, got ${typeof fn}`);
    const spec: WindowSpec = {
      kind: 'window',
      assigner: this.assigner as WindowAssigner<Window>,
      trigger: this.trig as Trigger<Window>,
      allowedLateness: this.lateness,
      lateTag: undefined,
      computation: { kind: 'join', join: fn as JoinFunction<unknown, unknown, unknown> },
      fastPaths: true,
    };
    checkWindowSpec(spec, `window join over ${this.assigner.fingerprint}`);
    const graph = this.first.graph;
    const node = graph.add({
      kind: 'coProcess',
      inputs: [this.first.keyBy(this.key1).inputEdge(), this.second.keyBy(this.key2).inputEdge()],
      spec,
      specFingerprint: `join:${windowFingerprint(spec)}`,
    });
    return new DataStream<R>(graph, node);
  }
}
