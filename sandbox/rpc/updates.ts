/**
 * updates.* methods. The sandbox pushes every change live and keeps no per-session backlog, so
 * getDifference always reports "nothing missed" at the current state.
 */
import { Api } from 'telegram';
import { type MethodHandler, method } from './context.js';

/** updates.getState: the account's pts, now, and its total unread count. */
const getState = method(
  Api.updates.GetState,
  (_req, ctx) =>
    new Api.updates.State({
      pts: ctx.store.pts,
      qts: 0,
      date: Math.floor(Date.now() / 1000),
      seq: 0,
      unreadCount: ctx.store.totalUnread(),
    }),
);

/** updates.getDifference: always differenceEmpty (no backlog kept). */
const getDifference = method(
  Api.updates.GetDifference,
  () => new Api.updates.DifferenceEmpty({ date: Math.floor(Date.now() / 1000), seq: 0 }),
);

/** Handlers of the updates namespace. */
export const updatesMethods: MethodHandler[] = [getState, getDifference];
