/**
 * JSON text for response bodies with <, > and & as \u escapes (what Express's 'json escape' does
 * for res.json): values other organisations wrote to the ledger can never be read as markup, even
 * by a client that sniffs. Still plain JSON: any parser gives back the same strings.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
