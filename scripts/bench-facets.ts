import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/postgresql';
import { databaseUrl, dropDatabase, openDatabase } from '../lib/database';
import { demoCatalog } from '../lib/demo-data';
import { runMain } from '../lib/entry-point';
import { percentile } from './bench/load';
import { createLogger } from '../lib/logger';
import type { CatalogContext } from '../subgraphs/catalog/catalog.context';
import { catalogSubgraph } from '../subgraphs/catalog/catalog.server';
import type { ProductFilter } from '../subgraphs/catalog/product/product.inputs';
import { ProductSearchService } from '../subgraphs/catalog/product/product-search.service';

/**
 * Faceted search benchmark: the time of one faceted page (a page of 20
 * products, its totalCount and every facet with its counts) as the catalog
 * subgraph computes it, measured in-process on ProductSearchService (page()
 * then facets(), exactly what `products(...) { totalCount nodes facets }`
 * runs, without HTTP and GraphQL execution), on
 *
 *  (a) the demo catalog (seeded), database `catalog_facets_bench_demo`;
 *  (b) a generated catalog of --products products (100,000), ~30% with 2-3
 *      options and every combination as a variant, ~90% with an availability
 *      row, inserted with generate_series SQL, database `catalog_facets_bench_generated`.
 *
 * Both databases are dropped and created by catalog's migrations. For each
 * filter combination it prints the median and p95 ms per faceted page (and of
 * the facet statement alone) and the SQL statements per page.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:facets
 *
 * Options: --products N (100000), --iterations N timed pages per combination (30), --warmup N (3).
 */

interface Options {
  products: number;
  iterations: number;
  warmup: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { products: 100_000, iterations: 30, warmup: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    if (!(key in options)) throw new Error(`Unknown option ${argv[i]}`);
    const value = Number(argv[i + 1]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${argv[i]} needs a whole number, got ${argv[i + 1]}`);
    options[key] = value;
  }
  return options;
}

const progress = (message: string) => console.log(`[bench:facets] ${message}`);


interface Workload {
  name: string;
  filter: ProductFilter;
}

/** Statements sent through the ORM's pool, from knex's `query` event. */
function statementCounter(orm: MikroORM) {
  let count = 0;
  orm.em.getKnex().on('query', () => {
    count += 1;
  });
  return { take: () => count, reset: () => void (count = 0) };
}

async function measure(orm: MikroORM, label: string, workloads: Workload[], options: Options): Promise<void> {
  const service = new ProductSearchService();
  const counter = statementCounter(orm);
  console.log(`\n${label}`);
  console.log(`${'filter'.padEnd(44)} ${'matches'.padStart(8)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(8)} ${'facets median'.padStart(14)} ${'statements'.padStart(11)}`);
  for (const workload of workloads) {
    const totals: number[] = [];
    const facetTimes: number[] = [];
    let statements = 0;
    let matches = 0;
    for (let i = 0; i < options.warmup + options.iterations; i += 1) {
      const ctx = { em: orm.em.fork() } as CatalogContext;
      counter.reset();
      const started = performance.now();
      const page = await service.page(ctx, { filter: workload.filter, first: 20 });
      const facetsStarted = performance.now();
      await service.facetsOf(ctx, page);
      const ended = performance.now();
      if (i < options.warmup) continue;
      totals.push(ended - started);
      facetTimes.push(ended - facetsStarted);
      statements = counter.take();
      matches = page.totalCount;
    }
    totals.sort((a, b) => a - b);
    facetTimes.sort((a, b) => a - b);
    console.log(
      `${workload.name.padEnd(44)} ${String(matches).padStart(8)} ${percentile(totals, 50).toFixed(1).padStart(10)} ${percentile(totals, 95).toFixed(1).padStart(8)} ${percentile(facetTimes, 50).toFixed(1).padStart(14)} ${String(statements).padStart(11)}`,
    );
  }
}

function workloadsFor(search: string, categoryId: string): Workload[] {
  return [
    { name: 'none', filter: {} },
    { name: `search "${search}"`, filter: { search } },
    { name: 'category (root, with subtree)', filter: { categoryId } },
    { name: 'one option (Size M)', filter: { options: [{ name: 'Size', value: 'M' }] } },
    {
      name: 'Size M|L + Color Black + available + price',
      filter: {
        options: [
          { name: 'Size', value: 'M' },
          { name: 'Size', value: 'L' },
          { name: 'Color', value: 'Black' },
        ],
        available: true,
        priceRanges: [{ min: 2500, max: 10000 }],
      },
    },
  ];
}

async function freshCatalog(serverUrl: string, name: string): Promise<MikroORM> {
  const url = databaseUrl(serverUrl, name);
  await dropDatabase(url);
  const { orm } = await openDatabase(catalogSubgraph.database, { url, logger: createLogger('bench', 'warn'), poolMax: 4 });
  return orm;
}

/** The generated catalog, all in SQL: categories, products, options, variants, variant options, availability. */
async function generate(orm: MikroORM, products: number): Promise<void> {
  const run = (sql: string, params: unknown[] = []) => orm.em.getConnection().execute(sql, params);
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const started = performance.now();
    await run(sql, params);
    progress(`  ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  await run(`create temp table gen_words as select
      array['Trail','Summit','Urban','Classic','Storm','Coastal','Alpine','Desert','Harbor','Metro','Nordic','Canyon','Meadow','Glacier','Forest','Prairie','Island','Valley','Ridge','Delta'] as adjectives,
      array['Jacket','Shirt','Boot','Backpack','Tent','Kettle','Lamp','Mug','Keyboard','Headphones','Charger','Bottle','Scarf','Glove','Helmet','Sock','Cap','Stove','Chair','Blanket','Pan','Knife','Watch','Belt','Wallet'] as nouns,
      array['Black','Olive','White','Navy','Red','Blue','Green','Grey'] as colors,
      array['Cotton','Wool','Linen','Polyester'] as materials`);
  await step(
    'categories: 10 roots with 5 children each',
    `insert into category (id, name, slug, parent_id, created_at)
     select md5('root' || r)::uuid, 'Department ' || r, 'department-' || r, null, now() from generate_series(1, 10) r
     union all
     select md5('child' || r || '-' || c)::uuid, 'Aisle ' || r || '.' || c, 'aisle-' || r || '-' || c, md5('root' || r)::uuid, now()
     from generate_series(1, 10) r, generate_series(1, 5) c`,
  );
  await step(
    `products: ${products}`,
    `insert into product (id, sku, slug, name, description, price_amount, currency, category_id, image_url, created_at, updated_at)
     select md5('p' || i)::uuid, 'GEN-' || i, 'gen-' || i,
            w.adjectives[i % 20 + 1] || ' ' || w.nouns[(i / 20) % 25 + 1] || ' ' || i,
            'A ' || lower(w.adjectives[i % 20 + 1]) || ' ' || lower(w.nouns[(i / 20) % 25 + 1]) || ' in ' || lower(w.colors[i % 8 + 1]) || ', made to last.',
            100 + (hashtext('price' || i) & 32767) % 30000, 'USD',
            md5('child' || (i % 10 + 1) || '-' || ((i / 10) % 5 + 1))::uuid, null,
            timestamptz '2026-01-01' + make_interval(mins => i), now()
     from generate_series(1, ?) i, gen_words w`,
    [products],
  );
  // 30% of products have options: Size (3 of 5) and Color (2 of 8); a third of those also Material (2 of 4).
  await run(`create temp table gen_combo as
     select i, ((sz.o - 1) * 2 + (co.o - 1)) * (case when i % 10 = 0 then 2 else 1 end) + coalesce(ma.o, 1) - 1 as pos,
            sz.v as size, co.v as color, ma.v as material
     from generate_series(1, ?) i cross join gen_words w
     cross join lateral unnest((array['XS','S','M','L','XL'])[i % 3 + 1 : i % 3 + 3]) with ordinality sz(v, o)
     cross join lateral unnest(array[w.colors[i % 8 + 1], w.colors[(i * 3 + 1) % 8 + 1]]) with ordinality co(v, o)
     left join lateral unnest(case when i % 10 = 0 then array[w.materials[i % 4 + 1], w.materials[(i + 1) % 4 + 1]] end) with ordinality ma(v, o) on true
     where i % 10 < 3`, [products]);
  await step(
    'options',
    `insert into product_option (id, product_id, position, name, "values")
     select md5('o' || i || '-0')::uuid, md5('p' || i)::uuid, 0, 'Size', (array['XS','S','M','L','XL'])[i % 3 + 1 : i % 3 + 3]
       from generate_series(1, ?) i where i % 10 < 3
     union all
     select md5('o' || i || '-1')::uuid, md5('p' || i)::uuid, 1, 'Color', array[w.colors[i % 8 + 1], w.colors[(i * 3 + 1) % 8 + 1]]
       from generate_series(1, ?) i, gen_words w where i % 10 < 3
     union all
     select md5('o' || i || '-2')::uuid, md5('p' || i)::uuid, 2, 'Material', array[w.materials[i % 4 + 1], w.materials[(i + 1) % 4 + 1]]
       from generate_series(1, ?) i, gen_words w where i % 10 = 0`,
    [products, products, products],
  );
  await step(
    'variants (default = product id; every combination of options)',
    `insert into product_variant (id, product_id, position, sku, title, price_amount, currency, weight_grams, created_at, updated_at)
     select p.id, p.id, 0, p.sku, 'Default', p.price_amount, 'USD', 500, p.created_at, now()
       from product p where not exists (select 1 from product_option o where o.product_id = p.id)
     union all
     select case when c.pos = 0 then md5('p' || c.i)::uuid else md5('v' || c.i || '-' || c.pos)::uuid end, md5('p' || c.i)::uuid, c.pos,
            'GEN-' || c.i || '-' || c.pos, concat_ws(' / ', c.size, c.color, c.material), p.price_amount, 'USD', 500, p.created_at, now()
       from gen_combo c join product p on p.id = md5('p' || c.i)::uuid`,
  );
  await step(
    'variant options',
    `insert into product_variant_option (variant_id, product_id, name, value)
     select case when c.pos = 0 then md5('p' || c.i)::uuid else md5('v' || c.i || '-' || c.pos)::uuid end, md5('p' || c.i)::uuid, o.name, o.value
     from gen_combo c cross join lateral (values ('Size', c.size), ('Color', c.color), ('Material', c.material)) o(name, value)
     where o.value is not null`,
  );
  await step(
    'availability: ~90% of products have a row, ~1 in 7 of those sold out',
    `insert into product_availability (product_id, available_quantity, changed_at)
     select md5('p' || i)::uuid, case when i % 7 = 0 then 0 else (i * 13) % 50 + 1 end, now()
     from generate_series(1, ?) i where i % 10 <> 9`,
    [products],
  );
  await step('vacuum analyze', 'vacuum analyze');
  const [counts] = await run(
    `select (select count(*) from product) as products, (select count(*) from product_variant) as variants,
            (select count(*) from product_variant_option) as variant_options, (select count(*) from product_availability) as availability_rows`,
  );
  progress(`  generated: ${JSON.stringify(counts)}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL is not set: e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:facets');
  progress(`${options.iterations} timed faceted pages (first: 20, NEWEST) per filter after ${options.warmup} warm-up; in-process ProductSearchService.page() + facets()`);

  progress('(a) demo catalog: creating catalog_facets_bench_demo, migrating, seeding');
  const demo = await freshCatalog(serverUrl, 'catalog_facets_bench_demo');
  try {
    await catalogSubgraph.seed!(demo.em.fork(), createLogger('bench', 'warn'));
    await demo.em.getConnection().execute('analyze');
    const root = demoCatalog().categories.find((category) => category.parentId === null)!;
    await measure(demo, `(a) demo catalog (${demoCatalog().products.length} products, ${demoCatalog().variants.length} variants)`, workloadsFor('jacket', root.id), options);
  } finally {
    await demo.close(true);
  }

  progress(`\n(b) generated catalog: creating catalog_facets_bench_generated, migrating, inserting ${options.products} products`);
  const generated = await freshCatalog(serverUrl, 'catalog_facets_bench_generated');
  try {
    await generate(generated, options.products);
    const [root] = await generated.em.getConnection().execute<{ id: string }[]>(`select md5('root1')::uuid as id`);
    await measure(generated, `(b) generated catalog (${options.products} products)`, workloadsFor('jacket', root.id), options);
  } finally {
    await generated.close(true);
  }
}

runMain(main);
