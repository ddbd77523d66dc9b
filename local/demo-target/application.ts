/**
 * The application the demo target plays: two sites (primary, secondary) behind one traffic switch,
 * each with a maintenance mode, and a replicated database whose primary can be fenced and promoted.
 * Every endpoint is a pure function of the state and the request body; the server (index.ts) adds
 * recording, idempotency and injected behaviour around it.
 */
import { z } from 'zod';

export const Sites = ['primary', 'secondary'] as const;
export type Site = (typeof Sites)[number];
const SiteSchema = z.enum(Sites);

export interface ApplicationState {
  /** The site that receives user traffic. */
  traffic: Site;
  /** Sites in maintenance mode (they refuse writes). */
  maintenance: Record<Site, boolean>;
  /** The site whose database is the writable primary. */
  database: Site;
  /** Sites whose database is fenced (cut off from writes). */
  fenced: Site[];
}

export interface Reply {
  status: number;
  body: unknown;
}

export const initialState = (): ApplicationState => ({
  traffic: 'primary',
  maintenance: { primary: false, secondary: false },
  database: 'primary',
  fenced: [],
});

type Handler = (state: ApplicationState, body: unknown, site: Site) => Reply;

const ok = (body: unknown): Reply => ({ status: 200, body });

/** Parses a JSON body with `schema`; a 400 naming the field when it does not fit. */
function parseBody<T>(schema: z.ZodType<T>, body: unknown): T | Reply {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = ['body', ...(issue?.path ?? []).map(String)].join('.');
  return { status: 400, body: { error: `${path}: ${issue?.message ?? 'invalid'}` } };
}

const isReply = (value: unknown): value is Reply => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

const MaintenanceBodySchema = z.object({ enabled: z.boolean() });
const SiteBodySchema = z.object({ site: SiteSchema });
const PromoteBodySchema = z.object({ site: SiteSchema.default('secondary') });
const SwitchBodySchema = z.object({ to: SiteSchema });

const health: Handler = (state, _body, site) =>
  ok({ site, healthy: true, serving: state.traffic === site, maintenance: state.maintenance[site], database: state.database === site ? 'primary' : 'replica' });

const serving: Handler = (state, _body, site) =>
  state.traffic === site ? ok({ site, serving: true }) : { status: 503, body: { site, serving: false, traffic: state.traffic } };

const maintenance: Handler = (state, body, site) => {
  const parsed = parseBody(MaintenanceBodySchema, body);
  if (isReply(parsed)) return parsed;
  state.maintenance[site] = parsed.enabled;
  return ok({ site, maintenance: parsed.enabled });
};

const fence: Handler = (state, body) => {
  const parsed = parseBody(SiteBodySchema, body);
  if (isReply(parsed)) return parsed;
  if (!state.fenced.includes(parsed.site)) state.fenced.push(parsed.site);
  return ok({ fenced: [...state.fenced] });
};

const unfence: Handler = (state, body) => {
  const parsed = parseBody(SiteBodySchema, body);
  if (isReply(parsed)) return parsed;
  state.fenced = state.fenced.filter((site) => site !== parsed.site);
  return ok({ fenced: [...state.fenced] });
};

const promote: Handler = (state, body) => {
  const parsed = parseBody(PromoteBodySchema, body);
  if (isReply(parsed)) return parsed;
  if (state.fenced.includes(parsed.site)) return { status: 409, body: { error: `body.site: the ${parsed.site} database is fenced and cannot be promoted` } };
  state.database = parsed.site;
  return ok({ database: state.database });
};

const switchTraffic: Handler = (state, body) => {
  const parsed = parseBody(SwitchBodySchema, body);
  if (isReply(parsed)) return parsed;
  state.traffic = parsed.to;
  return ok({ traffic: state.traffic });
};

const switchBack: Handler = (state) => {
  state.traffic = 'primary';
  return ok({ traffic: state.traffic });
};

/** Endpoints per site: `<METHOD> /<site>/<name>`. */
const SITE_ROUTES: Readonly<Record<string, Handler>> = {
  'GET health': health,
  'GET serving': serving,
  'POST maintenance': maintenance,
};

const ROUTES: Readonly<Record<string, Handler>> = {
  'POST /db/fence': fence,
  'POST /db/unfence': unfence,
  'POST /db/promote': promote,
  'GET /db/status': (state) => ok({ primary: state.database, fenced: [...state.fenced] }),
  'POST /traffic/switch': switchTraffic,
  'POST /traffic/switch-back': switchBack,
  'GET /traffic': (state) => ok({ traffic: state.traffic }),
};

/** Every endpoint, as `METHOD /path`, for error messages and the docs. */
export const ENDPOINTS: readonly string[] = [
  ...Sites.flatMap((site) => Object.keys(SITE_ROUTES).map((key) => key.replace(' ', ` /${site}/`))),
  ...Object.keys(ROUTES),
];

function findHandler(method: string, path: string): { handler: Handler; site: Site } | undefined {
  const direct = ROUTES[`${method} ${path}`];
  if (direct !== undefined) return { handler: direct, site: 'primary' };
  const match = /^\/([a-z]+)\/([a-z-]+)$/.exec(path);
  const site = SiteSchema.safeParse(match?.[1]);
  const handler = SITE_ROUTES[`${method} ${match?.[2] ?? ''}`];
  return site.success && handler !== undefined ? { handler, site: site.data } : undefined;
}

/** Runs one request against `state` (mutated in place for POSTs that apply an effect). */
export function handle(state: ApplicationState, request: { method: string; path: string; body: unknown }): Reply {
  const found = findHandler(request.method, request.path);
  if (found !== undefined) return found.handler(state, request.body, found.site);
  const known = ENDPOINTS.some((endpoint) => endpoint.endsWith(` ${request.path}`));
  if (known) return { status: 405, body: { error: `${request.method} is not allowed on ${request.path}` } };
  return { status: 404, body: { error: `no endpoint ${request.method} ${request.path}; try one of: ${ENDPOINTS.join(', ')}` } };
}
