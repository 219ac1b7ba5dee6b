/**
 * Test-only: runs a graph with the reference kernels inside ONE shared Int8Array at the planned offsets,
 * every tensor a subarray view. If the plan let a tensor be overwritten while still needed, some op
 * reads wrong bytes and its output differs from runGraph's.
 */
import { tensorBytes, type Int8Graph, type TensorId } from '../../src-main/graph/int8Graph';
import { prepareOp } from '../../src-main/kernels/prepareOp';
import { runPreparedOp } from '../../src-main/kernels/runGraph';
import type { ArenaPlan } from '../../src-main/planner/arenaPlan';

export interface ArenaRun {
  readonly outputs: Int8Array[];
  /** Each op's output copied right after the op ran (later ops may legitimately reuse its bytes). */
  readonly written: Map<TensorId, Int8Array>;
}

export function runInArena(graph: Int8Graph, plan: ArenaPlan, inputs: readonly Int8Array[]): ArenaRun {
  // Non-zero filler, so an op reading bytes nobody wrote is not hidden by a lucky zero.
  const arena = new Int8Array(plan.arenaBytes).fill(0x5a);
  const view = (id: TensorId): Int8Array => {
    const offset = plan.offsets.get(id);
    if (offset === undefined) throw new Error(`plan has no offset for tensor ${graph.tensors[id]?.name ?? id}`);
    const bytes = tensorBytes(graph.tensors[id]!);
    if (offset < 0 || offset + bytes > arena.length) throw new RangeError(`tensor ${graph.tensors[id]!.name} [${offset}, ${offset + bytes}) outside the ${arena.length}-byte arena`);
    return arena.subarray(offset, offset + bytes);
  };
  graph.inputs.forEach((id, k) => view(id).set(inputs[k]!));
  const written = new Map<TensorId, Int8Array>();
  for (const opIndex of plan.order) {
    const op = graph.ops[opIndex]!;
    runPreparedOp(prepareOp(graph, op), (id) => graph.tensors[id]!.data ?? view(id), view(op.output));
    written.set(op.output, view(op.output).slice());
  }
  return { outputs: graph.outputs.map((id) => view(id).slice()), written };
}
