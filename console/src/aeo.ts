/** Customs' grant or withdrawal of authorised economic operator (AEO) status, as the gateway answers it. */
export interface AeoStatus {
  readonly trusted: boolean;
  readonly reference: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly txId: string;
}

/**
 * The chaincode's Reference (a short public reference such as an AEO certificate number), as an
 * input's `pattern`. Browsers compile a pattern with the `v` flag, under which a class must escape
 * `/` and `-`: an unescaped one makes the pattern invalid, and the browser then checks nothing.
 */
export const REFERENCE_PATTERN = '[A-Za-z0-9][A-Za-z0-9 ._:\\/\\-]{0,63}';

/** REFERENCE_PATTERN as the browser applies it: to the whole value. */
export const REFERENCE = new RegExp(`^(?:${REFERENCE_PATTERN})$`, 'v');
