/*
 * The data of the n-th parcel of a benchmark run: join keys and record payloads, valid for the
 * chaincode, with a buyer, seller, order, payment and tracking number of its own so that no parcel
 * touches another one's keys (uniqueness claims, split-shipment index).
 */
import {
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
} from '../../test/support/payloads.js';

const party = (prefix: string, n: number): string => `${prefix}${n.toString(16).padStart(63, '0')}`;

export function parcel(n: number, run: string) {
  const orderNumber = `ORD-${run}-${n}`;
  const trackingNumber = `RR${run}${n.toString(36).padStart(8, '0')}`;
  const paymentTransactionId = `PAY-${run}-${n}`;
  const base = orderPayload(orderNumber);
  return {
    consignmentId: `P${run}-${n}`,
    // Every party's key, as the payment provider and the carrier bind by them.
    joinKeys: {
      orderNumber,
      trackingNumber,
      paymentTransactionId,
      originCountry: 'CN',
      destinationCountry: 'FR',
    },
    order: {
      ...base,
      seller: { ...base.seller, id: party('a', n) },
      buyer: { ...base.buyer, id: party('b', n) },
    },
    payment: paymentPayload(orderNumber, paymentTransactionId),
    logistics: logisticsPayload(orderNumber, trackingNumber),
    declaration: declarationPayload(),
  };
}
