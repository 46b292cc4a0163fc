import { createHash } from 'node:crypto';
import { seededRandom } from './seeded-random';
import { slugify } from './slug';
import { uuidFromDigest } from './uuid';

/**
 * The demo shop every fresh `npm start` seeds. It is generated, not stored,
 * and deterministic: ids derive from names, so catalog and inventory (which
 * keep separate databases) agree on product ids without talking to each other.
 */

const NAMESPACE = 'commerce-demo';

/** A name-based (v5-style) UUID: the same name always gives the same id. */
export function demoId(kind: string, name: string): string {
  return uuidFromDigest(createHash('sha1').update(`${NAMESPACE}:${kind}:${name}`).digest(), 5);
}

export interface DemoCategory {
  id: string;
  name: string;
  slug: string;
  parentId: string | null;
}

export interface DemoProduct {
  id: string;
  sku: string;
  slug: string;
  name: string;
  description: string;
  priceAmount: number;
  currency: string;
  categoryId: string;
  imageUrl: string;
  createdAt: Date;
}

export interface DemoWarehouse {
  id: string;
  code: string;
  name: string;
}

export interface DemoStock {
  productId: string;
  warehouseId: string;
  onHand: number;
}

export interface DemoUser {
  id: string;
  email: string;
  password: string;
  name: string;
  role: 'ADMIN' | 'CUSTOMER';
}

const TREE: Record<string, Record<string, string[]>> = {
  Apparel: {
    'Running Shoes': ['Trail Runner', 'Road Racer', 'Daily Trainer', 'Stability Shoe'],
    Jackets: ['Rain Shell', 'Down Parka', 'Softshell Jacket', 'Windbreaker'],
    'T-Shirts': ['Merino Tee', 'Cotton Crew', 'Tech Tee', 'Graphic Tee'],
  },
  Electronics: {
    Headphones: ['Noise-Cancelling Headphones', 'Wireless Earbuds', 'Studio Monitor Headphones', 'Sport Earphones'],
    Keyboards: ['Mechanical Keyboard', 'Low-Profile Keyboard', 'Ergonomic Split Keyboard', 'Compact 60% Keyboard'],
    Chargers: ['USB-C Charger', 'Wireless Charging Pad', 'Power Bank', 'Car Charger'],
  },
  'Home & Kitchen': {
    Cookware: ['Cast Iron Skillet', 'Stainless Saucepan', 'Dutch Oven', 'Nonstick Pan'],
    Coffee: ['Pour-Over Kettle', 'Burr Grinder', 'French Press', 'Espresso Tamper'],
  },
  'Sports & Outdoors': {
    Camping: ['Ultralight Tent', 'Sleeping Bag', 'Camp Stove', 'Headlamp'],
    Cycling: ['Bike Helmet', 'Bike Light Set', 'Cycling Gloves', 'Water Bottle Cage'],
  },
};

const FINISHES = ['Classic', 'Pro', 'Lite', 'Max', 'Eco', 'Urban'];
const COLORS = ['Graphite', 'Ocean', 'Forest', 'Sand', 'Crimson', 'Arctic'];

export const DEMO_WAREHOUSES: DemoWarehouse[] = [
  { code: 'AMS', name: 'Amsterdam fulfilment centre' },
  { code: 'CHI', name: 'Chicago fulfilment centre' },
  { code: 'SIN', name: 'Singapore fulfilment centre' },
].map((w) => ({ ...w, id: demoId('warehouse', w.code) }));

/** Development-only accounts, printed in the startup log and the README. */
export const DEMO_USERS: DemoUser[] = [
  { email: 'admin@example.com', password: 'admin-password', name: 'Ada Admin', role: 'ADMIN' as const },
  { email: 'customer@example.com', password: 'customer-password', name: 'Casey Customer', role: 'CUSTOMER' as const },
].map((u) => ({ ...u, id: demoId('user', u.email) }));

export interface DemoCatalog {
  categories: DemoCategory[];
  products: DemoProduct[];
  stock: DemoStock[];
}

let cached: DemoCatalog | undefined;

/** 14 categories in a 2-level tree (4 top-level, 10 below), 240 products, stock in 3 warehouses (every 10th product sold out). */
export function demoCatalog(): DemoCatalog {
  if (cached) return cached;
  const next = seededRandom(42);
  const categories: DemoCategory[] = [];
  const products: DemoProduct[] = [];
  const stock: DemoStock[] = [];
  const epoch = Date.UTC(2026, 0, 1);
  for (const [topName, children] of Object.entries(TREE)) {
    const top: DemoCategory = { id: demoId('category', topName), name: topName, slug: slugify(topName), parentId: null };
    categories.push(top);
    for (const [childName, kinds] of Object.entries(children)) {
      const child: DemoCategory = { id: demoId('category', childName), name: childName, slug: slugify(childName), parentId: top.id };
      categories.push(child);
      for (const kind of kinds) {
        for (const finish of FINISHES) {
          if (products.length >= 240) break;
          const color = COLORS[Math.floor(next() * COLORS.length)];
          const name = `${kind} ${finish} ${color}`;
          const sku = `${slugify(childName).slice(0, 4).toUpperCase()}-${String(products.length + 1).padStart(4, '0')}`;
          const id = demoId('product', sku);
          products.push({
            id,
            sku,
            slug: slugify(`${name}-${sku}`),
            name,
            description: `The ${finish.toLowerCase()} edition of our ${kind.toLowerCase()} in ${color.toLowerCase()}. Part of the ${childName.toLowerCase()} range in ${topName.toLowerCase()}.`,
            priceAmount: 499 + Math.floor(next() * 400) * 50,
            currency: 'USD',
            categoryId: child.id,
            imageUrl: `https://images.example.com/products/${sku.toLowerCase()}.jpg`,
            createdAt: new Date(epoch + products.length * 3_600_000),
          });
          const soldOut = products.length % 10 === 0;
          DEMO_WAREHOUSES.forEach((warehouse, index) => {
            if (index > 0 && next() < 0.4) return;
            stock.push({ productId: id, warehouseId: warehouse.id, onHand: soldOut ? 0 : 1 + Math.floor(next() * 60) });
          });
        }
      }
    }
  }
  cached = { categories, products, stock };
  return cached;
}
