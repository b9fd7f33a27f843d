/** Deterministic, varied demo data: a seeded generator so runs are reproducible. */
export class Random {
  constructor(private state: number) {}
  next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const GOODS = [
  { hsCode: '610910', description: 'Cotton T-shirt', unit: 'pcs', price: [4, 25] },
  { hsCode: '640411', description: 'Sports shoes, textile uppers', unit: 'pair', price: [15, 80] },
  { hsCode: '851830', description: 'Wireless headphones', unit: 'pcs', price: [10, 120] },
  { hsCode: '950300', description: 'Plastic building-block toy set', unit: 'set', price: [5, 60] },
  { hsCode: '420222', description: 'Handbag, outer surface of textile', unit: 'pcs', price: [8, 90] },
  { hsCode: '330499', description: 'Skin care cream', unit: 'pcs', price: [3, 40] },
  { hsCode: '847130', description: 'Portable computer, under 10 kg', unit: 'pcs', price: [150, 900] },
  { hsCode: '711719', description: 'Imitation jewellery, base metal', unit: 'pcs', price: [1, 15] },
] as const;

export const BUYERS = [
  {
    name: 'Amélie Durand',
    city: 'Lyon',
    postcode: '69003',
    country: 'FR',
    street: '12 rue Garibaldi',
    phone: '+33 6 11 22 33 44',
  },
  {
    name: 'Jonas Becker',
    city: 'Köln',
    postcode: '50667',
    country: 'DE',
    street: 'Hohe Straße 40',
    phone: '+49 170 1234567',
  },
  {
    name: 'Lucía Fernández',
    city: 'Valencia',
    postcode: '46002',
    country: 'ES',
    street: 'Calle de Colón 8',
    phone: '+34 612 345 678',
  },
  {
    name: 'Pieter de Vries',
    city: 'Utrecht',
    postcode: '3511',
    country: 'NL',
    street: 'Oudegracht 101',
    phone: '+31 6 12345678',
  },
  {
    name: 'Giulia Romano',
    city: 'Torino',
    postcode: '10121',
    country: 'IT',
    street: 'Via Roma 55',
    phone: '+39 333 123 4567',
  },
  {
    name: 'Olga Nowak',
    city: 'Kraków',
    postcode: '31-001',
    country: 'PL',
    street: 'ul. Floriańska 3',
    phone: '+48 600 100 200',
  },
] as const;

export const SELLERS = [
  { name: 'Shenzhen Bright Star Electronics', country: 'CN', taxId: 'CN91440300MA5F' },
  { name: 'Yiwu Happy Toys Trading', country: 'CN', taxId: 'CN91330782MA2H' },
  { name: 'Guangzhou Fashion Hub', country: 'CN', taxId: 'CN91440101MA59' },
  { name: 'Hanoi Handicrafts JSC', country: 'VN', taxId: 'VN0101234567' },
  { name: 'Istanbul Leather Works', country: 'TR', taxId: 'TR1234567890' },
] as const;

export const CURRENCIES = ['EUR', 'USD', 'CNY'] as const;
export const ORIGIN_PORTS: Record<string, string> = { CN: 'CNSZX', VN: 'VNHAN', TR: 'TRIST' };
export const DESTINATION_PORTS: Record<string, string> = {
  FR: 'FRCDG',
  DE: 'DEFRA',
  ES: 'ESMAD',
  NL: 'NLAMS',
  IT: 'ITMXP',
  PL: 'PLWAW',
};

export const round2 = (n: number): number => Math.round(n * 100) / 100;
