export * from './analyze';
export * from './options';
