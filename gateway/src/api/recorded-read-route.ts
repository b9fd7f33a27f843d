import type { z, ZodType } from 'zod';
import type { Purpose } from '@customs-ledger/chaincode';
import { defineRoute, type RouteContext, type RouteDefinition } from '../http/route.js';

type AnyObject = z.ZodObject<z.ZodRawShape>;
type Context<P extends AnyObject, Q extends AnyObject, B extends ZodType> = RouteContext<
  z.infer<P>,
  z.infer<Q>,
  z.infer<B>
>;

/**
 * A route of a purpose-bound read of personal data (services/recorded-read.ts): the route's
 * definition and only what differs between such reads.
 */
export interface RecordedReadRoute<
  P extends AnyObject,
  Q extends AnyObject,
  B extends ZodType,
  T,
> extends Omit<RouteDefinition<P, Q, B>, 'handler' | 'stream'> {
  /** What is read, as the audit trail names it, and the purpose the caller stated. */
  readonly reads: (ctx: Context<P, Q, B>) => { readonly resource: string; readonly purpose: string };
  /** The read through the service, which commits the access record before it reads. */
  readonly read: (ctx: Context<P, Q, B>, purpose: Purpose) => Promise<T>;
  /** The access record's transaction, in what the read answered. */
  readonly accessTxId: (value: T) => string;
}

/**
 * The route of a purpose-bound read. The audit trail names what is read and for which purpose
 * before the read, so that a refused read is audited with them too, and the access record's
 * transaction once the read let the data out; the answer is what the service read.
 */
export function recordedReadRoute<P extends AnyObject, Q extends AnyObject, B extends ZodType, T>({
  reads,
  read,
  accessTxId,
  ...definition
}: RecordedReadRoute<P, Q, B, T>): RouteDefinition<P, Q, B> {
  return defineRoute<P, Q, B>({
    ...definition,
    handler: async (ctx) => {
      const { resource, purpose } = reads(ctx);
      ctx.audit({ resource, purpose });
      // The route's schema admits only the purposes' names.
      const value = await read(ctx, purpose as Purpose);
      ctx.audit({ txId: accessTxId(value) });
      // A read answers 200; a disclosure (POST), which makes a package, 201.
      return { status: definition.method === 'post' ? 201 : 200, body: value };
    },
  });
}
