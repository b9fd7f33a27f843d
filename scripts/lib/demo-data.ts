/*
 * Reference data for the demo: platforms, sellers, buyers, goods, ports and tax rules. Everything
 * personal here is invented. Names and documents only ever travel in record payloads.
 */

/** Deterministic generator (mulberry32), so a seed reproduces a run's choices. */
export class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const round2 = (n: number): number => Math.round(n * 100) / 100;
export const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export type Currency = 'EUR' | 'USD' | 'CNY' | 'GBP';
/** Indicative units of each currency per euro; prices below are in euros and converted. */
export const PER_EUR: Record<Currency, number> = { EUR: 1, USD: 1.08, CNY: 7.8, GBP: 0.85 };

export interface PlatformProfile {
  readonly user: string;
  readonly code: string;
  readonly name: string;
  /** EU IOSS number (IM + 10 digits) under which the platform collects import VAT at checkout. */
  readonly ioss: string;
  /** The platform also acts as payment service provider for this share of its orders. */
  readonly ownPaymentShare: number;
}

export const PLATFORMS: readonly PlatformProfile[] = [
  {
    user: 'platforma-operator',
    code: 'PA',
    name: 'Platform A Marketplace Ltd',
    ioss: 'IM3720001234',
    ownPaymentShare: 0.25,
  },
  {
    user: 'platformb-operator',
    code: 'PB',
    name: 'Platform B Global Trade B.V.',
    ioss: 'IM5280004321',
    ownPaymentShare: 0.1,
  },
];

export interface SellerProfile {
  readonly name: string;
  readonly country: string;
  readonly taxId: string;
  /** Where its parcels leave from (UN/LOCODE). */
  readonly port: string;
  readonly goods: readonly string[];
  readonly platforms: readonly string[];
}

export const SELLERS: readonly SellerProfile[] = [
  {
    name: 'Shenzhen Bright Star Electronics Co., Ltd',
    country: 'CN',
    taxId: '91440300MA5F1XYZ3K',
    port: 'CNSZX',
    goods: ['851830', '850760', '847130', '950450'],
    platforms: ['PA', 'PB'],
  },
  {
    name: 'Yiwu Happy Toys Trading Co.',
    country: 'CN',
    taxId: '91330782MA2H7QW15B',
    port: 'CNYIW',
    goods: ['950300', '711719', '392690'],
    platforms: ['PA'],
  },
  {
    name: 'Guangzhou Fashion Hub Apparel',
    country: 'CN',
    taxId: '91440101MA59TR8N2C',
    port: 'CNCAN',
    goods: ['610910', '620442', '640411', '420222'],
    platforms: ['PB'],
  },
  {
    name: 'Hanoi Handicrafts JSC',
    country: 'VN',
    taxId: '0101234567',
    port: 'VNHAN',
    goods: ['460219', '691200', '610910'],
    platforms: ['PA'],
  },
  {
    name: 'Istanbul Leather Works A.Ş.',
    country: 'TR',
    taxId: '1234567890',
    port: 'TRIST',
    goods: ['420222', '420321', '640399'],
    platforms: ['PB'],
  },
  {
    name: 'Seoul Glow Cosmetics Inc.',
    country: 'KR',
    taxId: '2208123456',
    port: 'KRSEL',
    goods: ['330499', '330510'],
    platforms: ['PA', 'PB'],
  },
  {
    name: 'Maison Lumière SARL',
    country: 'FR',
    taxId: 'FR40303265045',
    port: 'FRCDG',
    goods: ['330499', '330300', '190531'],
    platforms: ['PB'],
  },
  {
    name: 'Osaka Kitchen Tools K.K.',
    country: 'JP',
    taxId: '7120001077396',
    port: 'JPOSA',
    goods: ['821191', '732393', '691200'],
    platforms: ['PA'],
  },
];

export interface Goods {
  readonly description: string;
  readonly unit: string;
  /** Unit price range in euros. */
  readonly price: readonly [number, number];
  /** Unit weight range in kg. */
  readonly weight: readonly [number, number];
}

export const GOODS: Readonly<Record<string, Goods>> = {
  '851830': { description: 'Wireless in-ear headphones', unit: 'pcs', price: [12, 120], weight: [0.1, 0.3] },
  '850760': {
    description: 'Lithium-ion power bank 10000 mAh',
    unit: 'pcs',
    price: [9, 45],
    weight: [0.2, 0.4],
  },
  '847130': { description: 'Laptop computer, 14 inch', unit: 'pcs', price: [220, 950], weight: [1.2, 2.1] },
  '950450': { description: 'Handheld game console', unit: 'pcs', price: [40, 180], weight: [0.3, 0.6] },
  '950300': {
    description: 'Plastic building-block toy set',
    unit: 'set',
    price: [6, 60],
    weight: [0.2, 1.1],
  },
  '711719': {
    description: 'Imitation jewellery, base-metal earrings',
    unit: 'pair',
    price: [1, 12],
    weight: [0.01, 0.05],
  },
  '392690': { description: 'Plastic phone stand', unit: 'pcs', price: [2, 9], weight: [0.05, 0.15] },
  '610910': { description: 'Cotton T-shirt, printed', unit: 'pcs', price: [4, 25], weight: [0.15, 0.25] },
  '620442': { description: "Women's cotton dress", unit: 'pcs', price: [12, 70], weight: [0.2, 0.5] },
  '640411': {
    description: 'Running shoes, textile uppers',
    unit: 'pair',
    price: [18, 95],
    weight: [0.6, 1.0],
  },
  '420222': {
    description: 'Handbag, outer surface of leather',
    unit: 'pcs',
    price: [25, 240],
    weight: [0.4, 1.0],
  },
  '420321': { description: 'Leather gloves for sport', unit: 'pair', price: [15, 60], weight: [0.1, 0.2] },
  '640399': { description: 'Leather ankle boots', unit: 'pair', price: [45, 180], weight: [0.9, 1.4] },
  '460219': { description: 'Hand-woven rattan basket', unit: 'pcs', price: [8, 40], weight: [0.3, 0.9] },
  '691200': { description: 'Ceramic tableware set', unit: 'set', price: [15, 90], weight: [1.0, 3.5] },
  '330499': {
    description: 'Moisturising face cream 50 ml',
    unit: 'pcs',
    price: [6, 55],
    weight: [0.08, 0.15],
  },
  '330510': { description: 'Shampoo 250 ml', unit: 'pcs', price: [4, 18], weight: [0.28, 0.32] },
  '330300': { description: 'Eau de parfum 50 ml', unit: 'pcs', price: [35, 140], weight: [0.2, 0.35] },
  '190531': { description: 'Butter biscuits, tin 400 g', unit: 'pcs', price: [6, 22], weight: [0.45, 0.6] },
  '821191': {
    description: 'Stainless steel kitchen knife',
    unit: 'pcs',
    price: [20, 160],
    weight: [0.15, 0.35],
  },
  '732393': { description: 'Stainless steel frying pan', unit: 'pcs', price: [18, 85], weight: [0.8, 1.6] },
};

export interface BuyerProfile {
  readonly name: string;
  readonly document: { readonly type: 'passport' | 'national_id'; readonly number: string };
  readonly phone: string;
  readonly line1: string;
  readonly city: string;
  readonly postcode: string;
  readonly country: string;
}

export const BUYERS: readonly BuyerProfile[] = [
  b(
    'Amélie Durand',
    'national_id',
    'X4RTBPFW4',
    '+33 6 11 22 33 44',
    '12 rue Garibaldi',
    'Lyon',
    '69003',
    'FR',
  ),
  b(
    'Karim Benali',
    'passport',
    '19FV43210',
    '+33 7 80 45 12 09',
    '5 avenue Jean Médecin',
    'Nice',
    '06000',
    'FR',
  ),
  b('Jonas Becker', 'national_id', 'L01X00T47', '+49 170 1234567', 'Hohe Straße 40', 'Köln', '50667', 'DE'),
  b(
    'Sabine Öztürk',
    'passport',
    'C01X00T52',
    '+49 151 7654321',
    'Schillerstraße 3',
    'München',
    '80336',
    'DE',
  ),
  b(
    'Lucía Fernández',
    'national_id',
    '12345678Z',
    '+34 612 345 678',
    'Calle de Colón 8',
    'Valencia',
    '46002',
    'ES',
  ),
  b(
    'Pieter de Vries',
    'passport',
    'NXC8L2KF1',
    '+31 6 12345678',
    'Oudegracht 101',
    'Utrecht',
    '3511 AX',
    'NL',
  ),
  b('Giulia Romano', 'national_id', 'CA00000AA', '+39 333 123 4567', 'Via Roma 55', 'Torino', '10121', 'IT'),
  b(
    'Olga Nowak',
    'national_id',
    'ABA300000',
    '+48 600 100 200',
    'ul. Floriańska 3',
    'Kraków',
    '31-019',
    'PL',
  ),
  b(
    'Siobhán Murphy',
    'passport',
    'PA1234567',
    '+353 87 123 4567',
    '14 Patrick Street',
    'Cork',
    'T12 X70A',
    'IE',
  ),
  b(
    'Emily Carter',
    'passport',
    '561234987',
    '+1 415 555 0142',
    '2150 Mission Street',
    'San Francisco',
    '94110',
    'US',
  ),
  b(
    'Marcus Johnson',
    'passport',
    '488812345',
    '+1 212 555 0199',
    '310 West 97th Street',
    'New York',
    '10025',
    'US',
  ),
  b('Oliver Smith', 'passport', '533380006', '+44 7700 900123', '22 Deansgate', 'Manchester', 'M3 1RH', 'GB'),
  b(
    '王芳',
    'national_id',
    '11010519491231002X',
    '+86 138 0013 8000',
    'Chaoyang District, Jianguo Road 88',
    'Beijing',
    '100022',
    'CN',
  ),
  b(
    '李伟',
    'national_id',
    '31011519800101001X',
    '+86 139 1234 5678',
    'Pudong, Century Avenue 1200',
    'Shanghai',
    '200120',
    'CN',
  ),
];

function b(
  name: string,
  type: 'passport' | 'national_id',
  number: string,
  phone: string,
  line1: string,
  city: string,
  postcode: string,
  country: string,
): BuyerProfile {
  return { name, document: { type, number }, phone, line1, city, postcode, country };
}

export interface Destination {
  readonly currency: Currency;
  /** Import VAT (or equivalent) rate applied at checkout when the platform collects it. */
  readonly checkoutTaxRate: number;
  /** Highest intrinsic value (in the destination currency) for which the platform collects at checkout. */
  readonly checkoutTaxCeiling: number;
  /** Whether the collection number travels on the declaration (EU IOSS). */
  readonly usesIoss: boolean;
  /** Arrival office: express gateway airport and postal exchange office (UN/LOCODE). */
  readonly expressPort: string;
  readonly postPort: string;
  /** Delivery depot (UN/LOCODE). */
  readonly depot: string;
}

export const DESTINATIONS: Readonly<Record<string, Destination>> = {
  FR: eu(0.2, 'FRCDG', 'FRRYS', 'FRLYS'),
  DE: eu(0.19, 'DELEJ', 'DEFRA', 'DECGN'),
  ES: eu(0.21, 'ESMAD', 'ESMAD', 'ESVLC'),
  NL: eu(0.21, 'NLAMS', 'NLAMS', 'NLUTC'),
  IT: eu(0.22, 'ITMXP', 'ITMIL', 'ITTRN'),
  PL: eu(0.23, 'PLWAW', 'PLWAW', 'PLKRK'),
  IE: eu(0.23, 'IEDUB', 'IEDUB', 'IEORK'),
  US: {
    currency: 'USD',
    checkoutTaxRate: 0,
    checkoutTaxCeiling: 0,
    usesIoss: false,
    expressPort: 'USCVG',
    postPort: 'USJFK',
    depot: 'USNYC',
  },
  GB: {
    currency: 'GBP',
    checkoutTaxRate: 0.2,
    checkoutTaxCeiling: 135,
    usesIoss: false,
    expressPort: 'GBEMA',
    postPort: 'GBLHR',
    depot: 'GBMNC',
  },
  // Cross-border e-commerce retail imports: the platform withholds the comprehensive tax (9.1 %).
  CN: {
    currency: 'CNY',
    checkoutTaxRate: 0.091,
    checkoutTaxCeiling: 5000,
    usesIoss: false,
    expressPort: 'CNPVG',
    postPort: 'CNSHA',
    depot: 'CNBJS',
  },
};

function eu(rate: number, expressPort: string, postPort: string, depot: string): Destination {
  return {
    currency: 'EUR',
    checkoutTaxRate: rate,
    checkoutTaxCeiling: 150,
    usesIoss: true,
    expressPort,
    postPort,
    depot,
  };
}

/** UPU S10 check digit of an 8-digit serial (weights 8 6 4 2 3 5 9 7). */
export function s10CheckDigit(serial: string): number {
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = [...serial].reduce((acc, digit, i) => acc + Number(digit) * weights[i]!, 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

/** An S10 item identifier: service indicator, 8-digit serial, check digit, origin country. */
export function s10(service: string, serial: number, country: string): string {
  const digits = String(serial % 100_000_000).padStart(8, '0');
  return `${service}${digits}${s10CheckDigit(digits)}${country}`;
}
