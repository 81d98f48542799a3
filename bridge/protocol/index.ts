/** The one contract shared by bridge, relay and renderer (ARCHITECTURE.md). */
export * from './errors.js';
export * from './frames.js';
export * from './loopback.js';
export * from './peers.js';
export * from './tools.js';
export * from './approvalView.js';
export * from './deviceApi.js';
