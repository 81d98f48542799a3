/**
 * Questions at the terminal for the CLI: plain lines, and secrets typed without echo (2FA password,
 * vault passphrase). Works with a non-TTY stdin too (one line per question), so scripts and tests can pipe
 * answers.
 */
import { createInterface } from 'node:readline/promises';
import { type Readable, Writable } from 'node:stream';

/** A line-oriented question source. */
export interface Asker {
  /** Asks and returns the trimmed answer. @throws Error "input closed…" when input ends first. */
  ask(question: string): Promise<string>;
  /** Asks without echoing what is typed (on a TTY). */
  askSecret(question: string): Promise<string>;
  close(): void;
}

/** Builds an {@link Asker} over `input`/`output` (default stdin/stdout). */
export function terminalAsker(input: Readable = process.stdin, output: Writable = process.stdout): Asker {
  const isTty = Boolean((input as { isTTY?: boolean }).isTTY);
  let muted = false;
  // readline echoes keystrokes through its output; while a secret is typed, that echo is dropped.
  const echo = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      if (!muted) output.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input, output: echo, terminal: isTty });
  const lines: string[] = [];
  const waiters: Array<{ resolve: (s: string) => void; reject: (e: Error) => void }> = [];
  let closed = false;
  rl.on('line', (line) => {
    const w = waiters.shift();
    if (w) w.resolve(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w.reject(new Error('input closed before the question was answered'));
  });
  const nextLine = (): Promise<string> => {
    const buffered = lines.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (closed) return Promise.reject(new Error('input closed before the question was answered'));
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  return {
    ask: async (q) => {
      output.write(q);
      return (await nextLine()).trim();
    },
    askSecret: async (q) => {
      output.write(q);
      muted = isTty;
      try {
        return (await nextLine()).trim();
      } finally {
        if (muted) output.write('\n');
        muted = false;
      }
    },
    close: () => rl.close(),
  };
}
