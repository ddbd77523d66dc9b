export * from './constants.js';
export * from './duration.js';
export * from './common.js';
export * from './clusternet.js';
export * from './workflow.js';
export * from './plan.js';
export * from './execution.js';
