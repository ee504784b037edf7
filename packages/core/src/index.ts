export * from './errors.js';
export * from './wire.js';
export * from './framing.js';
export * from './validation.js';
export * from './paths.js';
export * from './manifest.js';
export * from './refs.js';
export * from './arn.js';
