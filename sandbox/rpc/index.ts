/** Every implemented API method. Anything else answers 400 METHOD_NOT_IMPLEMENTED_SANDBOX (see dispatcher.ts). */
import { accountMethods } from './account.js';
import { authMethods } from './auth.js';
import { contactsMethods } from './contacts.js';
import type { MethodHandler } from './context.js';
import { helpMethods } from './help.js';
import { messagingMethods } from './messaging.js';
import { updatesMethods } from './updates.js';
import { usersMethods } from './users.js';

/** All method handlers, by namespace. */
export const allMethods: MethodHandler[] = [
  ...authMethods,
  ...accountMethods,
  ...helpMethods,
  ...updatesMethods,
  ...usersMethods,
  ...contactsMethods,
  ...messagingMethods,
];
