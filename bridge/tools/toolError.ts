/**
 * A tool failure the AI and the person can act on. It becomes an `error` frame `[code] message` on the wire.
 */
import { type ToolErrorCode, toolErrorText } from '../protocol/index.js';

/** Extra facts about a failure; `retryAfterSeconds` is set for flood waits and rate limits. */
export interface ToolErrorDetails {
  retryAfterSeconds?: number;
}

/** Error thrown by tools and the gateway; `message` must never contain message text, tokens or sessions. */
export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    readonly details: ToolErrorDetails = {},
  ) {
    super(message);
    this.name = 'ToolError';
  }

  /** The `error` frame text: `[code] message`. */
  toFrameText(): string {
    return toolErrorText(this.code, this.message);
  }
}
