/** The pose classes of the body-pose use case, in label order. */
export const POSE_CLASSES = ['standing', 'sitting', 'lying', 'fallen', 'bending', 'hands_raised'] as const;
export type PoseClass = (typeof POSE_CLASSES)[number];
