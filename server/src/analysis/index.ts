export * from './analyze';
export * from './options';
export { type ReturnResult, type ConditionStatus, solverCacheSize } from './checker';
export { envFromPins, pinsFromModel, replayCommandArgs } from './witness';
export { simulate, type Simulation, type SimPath, type SimStep } from './simulate';
