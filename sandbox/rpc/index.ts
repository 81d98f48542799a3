/** Every implemented API method. Anything else answers 400 METHOD_NOT_IMPLEMENTED_SANDBOX (see dispatcher.ts). */
import { contactsMethods } from './contacts.js';
import type { MethodHandler } from './context.js';
import { helpMethods } from './help.js';
import { messagesMethods } from './messages.js';
import { updatesMethods } from './updates.js';
import { usersMethods } from './users.js';

/** All method handlers, by namespace. */
export const allMethods: MethodHandler[] = [
  ...helpMethods,
  ...updatesMethods,
  ...usersMethods,
  ...contactsMethods,
  ...messagesMethods,
];
