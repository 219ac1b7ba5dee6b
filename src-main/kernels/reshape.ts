/** Reshape keeps the bytes (NHWC row-major flattening); the planner may alias output onto input. */
export function reshape(input: Int8Array, output: Int8Array): void {
  if (input.length !== output.length) throw new RangeError(`reshape: ${input.length} → ${output.length} elements`);
  if (input !== output) output.set(input);
}
