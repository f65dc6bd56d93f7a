/**
 * The aggregated view of a session's upstreams: their tools, prompts, resources and resource
 * templates under namespaced names (`<server><sep><name>`, always or only on conflict), and the
 * reverse map that routes a call back to its upstream. Upstreams that are down are left out.
 */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import type { Prompt, Resource, ResourceTemplate, Tool } from "@modelcontextprotocol/sdk/types.js";
import { GatewayError } from "../errors.js";
import type { UpstreamConnection } from "./upstream.js";
import { describe } from "./upstream.js";

/** An item of an upstream, with the name the client sees. */
export interface Routed<T> {
  server: string;
  /** The upstream's own name for it. */
  name: string;
  /** The name the client sees. */
  qualifiedName: string;
  item: T;
}

/** What a session's upstreams offer, merged. */
export interface Catalog {
  tools: Map<string, Routed<Tool>>;
  prompts: Map<string, Routed<Prompt>>;
  resources: Routed<Resource>[];
  templates: Array<Routed<ResourceTemplate> & { matcher: UriTemplate | null }>;
  /** Servers whose lists could not be read, with why. */
  unavailable: Map<string, string>;
}

/** How names are made unique. */
export interface Naming {
  mode: "always" | "on-conflict";
  separator: string;
}

/** One upstream's lists, as read for the catalog. */
interface UpstreamLists {
  server: string;
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  templates: ResourceTemplate[];
}

/** Reads one list method from a connection, all pages, cached until the upstream says it changed. */
export function listAll<T>(
  connection: UpstreamConnection,
  method: string,
  key: string,
  sessionId: string,
  maxPages: number,
): Promise<T[]> {
  let cached = connection.listCache.get(method);
  if (!cached) {
    cached = (async () => {
      const items: unknown[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < maxPages; page++) {
        const result = (await connection.request(method, cursor === undefined ? {} : { cursor }, sessionId)) as Record<
          string,
          unknown
        >;
        const pageItems = result[key];
        if (!Array.isArray(pageItems))
          throw new GatewayError("PORTCULLIS_UPSTREAM_ERROR", `${method}: the result has no "${key}" list`);
        items.push(...pageItems);
        cursor = typeof result.nextCursor === "string" ? result.nextCursor : undefined;
        if (cursor === undefined) break;
      }
      return items;
    })();
    connection.listCache.set(method, cached);
    cached.catch(() => connection.listCache.delete(method));
  }
  return cached as Promise<T[]>;
}

/** Reads every upstream's lists through `connect` and merges them. */
export async function buildCatalog(
  servers: string[],
  connect: (server: string) => Promise<UpstreamConnection>,
  naming: Naming,
  sessionId: string,
  maxPages: number,
): Promise<Catalog> {
  const unavailable = new Map<string, string>();
  const lists = await Promise.all(
    servers.map(async (server): Promise<UpstreamLists | undefined> => {
      try {
        const connection = await connect(server);
        const caps = connection.capabilities;
        const read = <T>(enabled: unknown, method: string, key: string): Promise<T[]> =>
          enabled ? listAll<T>(connection, method, key, sessionId, maxPages) : Promise.resolve([]);
        const [tools, prompts, resources, templates] = await Promise.all([
          read<Tool>(caps.tools, "tools/list", "tools"),
          read<Prompt>(caps.prompts, "prompts/list", "prompts"),
          read<Resource>(caps.resources, "resources/list", "resources"),
          read<ResourceTemplate>(caps.resources, "resources/templates/list", "resourceTemplates"),
        ]);
        return { server, tools, prompts, resources, templates };
      } catch (e) {
        unavailable.set(server, describe(e));
        return undefined;
      }
    }),
  );
  const present = lists.filter((l): l is UpstreamLists => l !== undefined);
  const qualify = qualifier(naming, present);
  const catalog: Catalog = { tools: new Map(), prompts: new Map(), resources: [], templates: [], unavailable };
  for (const list of present) {
    for (const tool of list.tools) {
      if (typeof tool?.name !== "string") continue;
      const qualifiedName = qualify("tools", list.server, tool.name);
      catalog.tools.set(qualifiedName, { server: list.server, name: tool.name, qualifiedName, item: tool });
    }
    for (const prompt of list.prompts) {
      if (typeof prompt?.name !== "string") continue;
      const qualifiedName = qualify("prompts", list.server, prompt.name);
      catalog.prompts.set(qualifiedName, { server: list.server, name: prompt.name, qualifiedName, item: prompt });
    }
    for (const resource of list.resources) {
      if (typeof resource?.uri !== "string") continue;
      catalog.resources.push({ server: list.server, name: resource.uri, qualifiedName: resource.uri, item: resource });
    }
    for (const template of list.templates) {
      if (typeof template?.uriTemplate !== "string") continue;
      catalog.templates.push({
        server: list.server,
        name: template.uriTemplate,
        qualifiedName: template.uriTemplate,
        item: template,
        matcher: compileTemplate(template.uriTemplate),
      });
    }
  }
  return catalog;
}

/** The upstream that serves resource `uri`: an exact listed URI first, then a matching template. */
export function routeResource(catalog: Catalog, uri: string, servers: string[]): string | undefined {
  for (const r of catalog.resources) if (r.item.uri === uri) return r.server;
  for (const t of catalog.templates) if (t.matcher?.match(uri)) return t.server;
  // A server that lists no resources may still serve URIs it did not list.
  return servers.length === 1 ? servers[0] : undefined;
}

function compileTemplate(template: string): UriTemplate | null {
  try {
    return new UriTemplate(template);
  } catch {
    return null;
  }
}

type Kind = "tools" | "prompts";

function qualifier(naming: Naming, lists: UpstreamLists[]): (kind: Kind, server: string, name: string) => string {
  if (naming.mode === "always") return (_kind, server, name) => `${server}${naming.separator}${name}`;
  const counts: Record<Kind, Map<string, number>> = { tools: new Map(), prompts: new Map() };
  for (const list of lists) {
    for (const t of list.tools) counts.tools.set(t.name, (counts.tools.get(t.name) ?? 0) + 1);
    for (const p of list.prompts) counts.prompts.set(p.name, (counts.prompts.get(p.name) ?? 0) + 1);
  }
  return (kind, server, name) => ((counts[kind].get(name) ?? 0) > 1 ? `${server}${naming.separator}${name}` : name);
}
