/**
 * Every handler of the messaging side — messages.* (dialogs, history, send, edit, delete, read, search,
 * forward, reactions, pins, media), channels.*, upload.* — in one list for `index.ts`.
 */
import { channelsMethods } from './channels.js';
import type { MethodHandler } from './context.js';
import { messagesMethods } from './messages.js';
import { messagesForwardMethods } from './messagesForward.js';
import { messagesMediaMethods } from './messagesMedia.js';
import { messagesPinsMethods } from './messagesPins.js';
import { messagesReactionsMethods } from './messagesReactions.js';
import { messagesSearchMethods } from './messagesSearch.js';
import { uploadMethods } from './upload.js';

/** Handlers of the messaging side. */
export const messagingMethods: MethodHandler[] = [
  ...messagesMethods,
  ...messagesSearchMethods,
  ...messagesForwardMethods,
  ...messagesReactionsMethods,
  ...messagesPinsMethods,
  ...messagesMediaMethods,
  ...channelsMethods,
  ...uploadMethods,
];
