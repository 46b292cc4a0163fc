import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The Grafana dashboard of the supergraph, as committed. */
export const DASHBOARD_PATH = path.join(__dirname, 'commerce-supergraph.json');

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { type: string; uid: string } }[];
}

export interface Dashboard {
  title: string;
  uid: string;
  templating: { list: { name: string; type: string; query?: string }[] };
  panels: DashboardPanel[];
}

export function readDashboard(file = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** PromQL words that look like metric names but are not: aggregations, functions, operators, modifiers. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers outside label
 * matchers, range selectors, strings and grouping clauses that are not
 * function calls or keywords.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Every metric name the dashboard's panels query, with the panels that use it. */
export function dashboardMetricNames(dashboard: Dashboard = readDashboard()): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      for (const name of metricNamesIn(target.expr)) names.set(name, [...(names.get(name) ?? []), panel.title]);
    }
  }
  return names;
}

/**
 * Whether a series name belongs to one of the registered metric families:
 * itself, or a histogram's (summary's) `_bucket`, `_sum` or `_count` series.
 */
export function isRegistered(name: string, families: ReadonlySet<string>): boolean {
  if (families.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && families.has(base);
}
