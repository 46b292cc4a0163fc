import { createHash } from 'node:crypto';
import { seededRandom } from './seeded-random';
import { slugify } from './slug';
import { uuidFromDigest } from './uuid';
import { combinations, variantSku, variantTitle } from './variant-naming';

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
  /** Empty for a product sold in one version only. */
  options: DemoOption[];
}

/** One option of a product and its values in display order, e.g. Size: S, M, L. */
export interface DemoOption {
  name: string;
  values: string[];
}

/**
 * One buyable version of a product. Every product has at least one; the
 * first (position 0) is its default variant and has the product's id, so
 * every id stored before variants existed still names exactly one variant.
 */
export interface DemoVariant {
  id: string;
  productId: string;
  /** The product's SKU for a product without options; else the product's SKU and the values, e.g. "TSHI-0049-M-NAVY-SLIM". */
  sku: string;
  /** The values joined by " / ", or "Default" for a product without options. */
  title: string;
  position: number;
  priceAmount: number;
  currency: string;
  weightGrams: number;
  /** One entry per option of the product, in the options' order; empty without options. */
  selectedOptions: { name: string; value: string }[];
}

export interface DemoWarehouse {
  id: string;
  code: string;
  name: string;
}

export interface DemoStock {
  productId: string;
  /** The variant the units are of; the product's id for its default variant. */
  variantId: string;
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
  /** Every product's variants, default first; products in order. */
  variants: DemoVariant[];
  stock: DemoStock[];
}

/**
 * Options of the demo products by category: the apparel categories, 72 of the
 * 240 products (30%), with 2 or 3 options each. Surcharges are added to the
 * product's price for the variants with that value.
 */
const OPTIONS_BY_CATEGORY: Record<string, { options: DemoOption[]; surcharges?: Record<string, number> }> = {
  'Running Shoes': { options: [{ name: 'Size', values: ['8', '9', '10', '11'] }, { name: 'Width', values: ['Regular', 'Wide'] }], surcharges: { Wide: 500 } },
  Jackets: { options: [{ name: 'Size', values: ['S', 'M', 'L', 'XL'] }, { name: 'Color', values: ['Black', 'Olive'] }], surcharges: { XL: 1000 } },
  'T-Shirts': {
    options: [
      { name: 'Size', values: ['S', 'M', 'L'] },
      { name: 'Color', values: ['White', 'Navy'] },
      { name: 'Fit', values: ['Regular', 'Slim'] },
    ],
  },
};

/** Shipping weight of one unit, by category (grams). */
const WEIGHT_BY_CATEGORY: Record<string, number> = {
  'Running Shoes': 900,
  Jackets: 1100,
  'T-Shirts': 200,
  Headphones: 350,
  Keyboards: 800,
  Chargers: 250,
  Cookware: 2200,
  Coffee: 900,
  Camping: 1500,
  Cycling: 400,
};

function demoVariants(product: DemoProduct, category: string): DemoVariant[] {
  const surcharges = OPTIONS_BY_CATEGORY[category]?.surcharges ?? {};
  const weightGrams = WEIGHT_BY_CATEGORY[category] ?? 500;
  return combinations(product.options).map((values, position) => ({
    id: position === 0 ? product.id : demoId('variant', `${product.sku}:${values.join('/')}`),
    productId: product.id,
    sku: variantSku(product.sku, values),
    title: variantTitle(values),
    position,
    priceAmount: product.priceAmount + values.reduce((sum, value) => sum + (surcharges[value] ?? 0), 0),
    currency: product.currency,
    weightGrams,
    selectedOptions: values.map((value, index) => ({ name: product.options[index].name, value })),
  }));
}

let cached: DemoCatalog | undefined;

/**
 * 14 categories in a 2-level tree (4 top-level, 10 below), 240 products (72
 * with 2 or 3 options; 840 variants in all), stock in 3 warehouses (every
 * 10th product sold out, in every variant).
 */
export function demoCatalog(): DemoCatalog {
  if (cached) return cached;
  const next = seededRandom(42);
  const categories: DemoCategory[] = [];
  const products: DemoProduct[] = [];
  const stock: DemoStock[] = [];
  const variants: DemoVariant[] = [];
  // A sequence of its own, so the products and their default stock are what they were before variants.
  const nextVariantStock = seededRandom(4242);
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
            options: OPTIONS_BY_CATEGORY[childName]?.options ?? [],
          });
          const soldOut = products.length % 10 === 0;
          DEMO_WAREHOUSES.forEach((warehouse, index) => {
            if (index > 0 && next() < 0.4) return;
            stock.push({ productId: id, variantId: id, warehouseId: warehouse.id, onHand: soldOut ? 0 : 1 + Math.floor(next() * 60) });
          });
          const productVariants = demoVariants(products[products.length - 1], childName);
          variants.push(...productVariants);
          for (const variant of productVariants.slice(1)) {
            DEMO_WAREHOUSES.forEach((warehouse, index) => {
              if (index > 0 && nextVariantStock() < 0.5) return;
              stock.push({ productId: id, variantId: variant.id, warehouseId: warehouse.id, onHand: soldOut ? 0 : Math.floor(nextVariantStock() * 20) });
            });
          }
        }
      }
    }
  }
  cached = { categories, products, variants, stock };
  return cached;
}
