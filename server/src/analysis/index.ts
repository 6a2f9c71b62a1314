export * from './analyze';
export * from './options';
export { type ReturnResult, type ConditionStatus } from './checker';
export { solverCacheSize, type SolverStats } from './decide';
export { envFromPins, pinsFromModel, replayCommandArgs } from './witness';
export { heldBy, simulate, type Simulation, type SimPath, type SimStep } from './simulate';
export { findProjectFile, projectCompanions, projectPreprocess, readProject, PROJECT_FILE, type Project } from './project';
export { withCSources } from './csource';
export { type OperandState } from './memstate';
