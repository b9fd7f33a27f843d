/** Valid record payloads for tests, with distinctive personal values to search for afterwards. */
export const PERSONAL = {
  buyerName: 'Zebulon Quixotewright',
  buyerDocument: 'PX-99887766-Q',
  payerName: 'Ottoline Marchbanks-Veyra',
  street: 'Rue des Alouettes 17',
  phone: '+33 6 12 34 56 78',
  sellerName: 'Hangzhou Lanternfly Trading Co',
} as const;

export const SELLER_ID = 'a'.repeat(64);
export const BUYER_ID = 'b'.repeat(64);

const consignee = {
  name: PERSONAL.buyerName,
  phone: PERSONAL.phone,
  address: { line1: PERSONAL.street, city: 'Lyon', postcode: '69002', country: 'FR' },
};

export function orderPayload(orderNumber: string, overrides: Record<string, unknown> = {}) {
  return {
    orderNumber,
    seller: { id: SELLER_ID, name: PERSONAL.sellerName },
    buyer: {
      id: BUYER_ID,
      name: PERSONAL.buyerName,
      document: { type: 'passport', number: PERSONAL.buyerDocument, country: 'FR' },
    },
    consignee,
    goodsValue: 40,
    freight: 5,
    insurance: 1,
    discount: 2,
    taxCollected: 8.8,
    amountPaid: 52.8,
    currency: 'EUR',
    orderedAt: '2026-11-20T10:00:00Z',
    lines: [
      {
        lineNo: 1,
        description: 'Cotton T-shirt, printed',
        hsCode: '610910',
        quantity: 2,
        unit: 'pcs',
        unitPrice: 20,
        lineValue: 40,
        originCountry: 'CN',
      },
    ],
    ...overrides,
  };
}

/**
 * An order of one line worth `value` CNY (no freight, insurance, discount or tax) by the buyer with
 * `buyer`'s fields (an identity document, say), for the tests of limits per buyer.
 */
export function cnyOrderPayload(orderNumber: string, buyer: Record<string, unknown>, value: number) {
  const base = orderPayload(orderNumber);
  return {
    ...base,
    buyer: { ...base.buyer, ...buyer },
    goodsValue: value,
    freight: 0,
    insurance: 0,
    discount: 0,
    taxCollected: 0,
    amountPaid: value,
    currency: 'CNY',
    lines: [{ ...base.lines[0]!, quantity: 1, unitPrice: value, lineValue: value }],
  };
}

export function paymentPayload(orderNumber: string, paymentTransactionId: string) {
  return {
    paymentTransactionId,
    orderNumber,
    payer: {
      name: PERSONAL.payerName,
      document: { type: 'national_id', number: 'ID-5544332211', country: 'FR' },
    },
    amountPaid: 52.8,
    currency: 'EUR',
    paidAt: '2026-11-20T10:01:00Z',
  };
}

export function logisticsPayload(orderNumber: string, trackingNumber: string) {
  return {
    trackingNumber,
    orderNumber,
    consignee,
    grossWeightKg: 0.6,
    packages: 1,
    freight: 5,
    insurance: 1,
    goodsDescription: 'T-shirts',
  };
}

export function declarationPayload() {
  return {
    declarant: 'Platform A Marketplace',
    mode: 'direct',
    transportMode: 'air',
    originCountry: 'CN',
    destinationCountry: 'FR',
    lines: [{ hsCode: '610910', description: 'Cotton T-shirts', value: 40, currency: 'EUR' }],
  };
}

/** The join keys of test consignment `id`: its order number, its post's tracking number, its payment. */
export function testKeys(id: string) {
  return {
    orderNumber: `ORD-${id}`,
    trackingNumber: `RR${id.replace(/\W/g, '')}FR`,
    paymentTransactionId: `PAY-${id}`,
  };
}

/** The create body of test consignment `id` from China to `destination`, naming every part's key. */
export function createPayload(id: string, destination = 'FR') {
  return { consignmentId: id, ...testKeys(id), originCountry: 'CN', destinationCountry: destination };
}
