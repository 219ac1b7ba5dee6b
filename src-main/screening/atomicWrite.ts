// Kept only until the Pose handlers import storage/atomicFile directly; new code imports that module.
export { writeFileAtomic } from '../storage/atomicFile';
