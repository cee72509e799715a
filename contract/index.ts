export * from './errors.ts';
export * from './resources.ts';
export * from './limits.ts';
export * from './status.ts';
export * from './api.ts';
export * from './ipc.ts';
export * from './desktop.ts';
export * from './preset.ts';
