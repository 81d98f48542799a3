/** Turns an engine error message into a sentence for the UI: first letter capitalised, a full stop at the end. */
export function sentence(message: string, fallback = 'Something went wrong.'): string {
  const s = message.trim();
  if (!s) return fallback;
  const first = s[0]!.toUpperCase() + s.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
