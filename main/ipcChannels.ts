/**
 * Every IPC channel between the renderer and main, split by direction (electron/fiddle's one shared list).
 * The preload may use exactly these; main registers handlers for exactly `TO_MAIN`, checks the sender frame
 * and validates each payload with zod (main/ipcRouter.ts). No other channel exists.
 */

/** Renderer → main. `deviceCall` is invoked (has an answer); `closeWindow` is a one-way send. */
export const TO_MAIN = {
  deviceCall: 'device:call',
  closeWindow: 'window:close',
} as const;

/** Main → renderer: every device event, pushed to each of our windows. */
export const TO_RENDERER = {
  deviceEvent: 'device:event',
} as const;

export type ToMainChannel = (typeof TO_MAIN)[keyof typeof TO_MAIN];
export type ToRendererChannel = (typeof TO_RENDERER)[keyof typeof TO_RENDERER];
