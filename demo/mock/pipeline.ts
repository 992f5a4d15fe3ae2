import { delay, HttpResponse, type HttpResponseResolver } from 'msw';
import { getControls, takeFailNext } from './controls';
import { isDemoUser, type DemoUser } from './model';
import { errorResponse, EXPOSE_HEADERS } from './responses';
import type { KeyValueStorage } from './storage';

export interface EndpointContext<Params> {
  request: Request;
  user: DemoUser;
  params: Params;
}

export type Endpoint<Params> = (context: EndpointContext<Params>) => Response | Promise<Response>;

export type BeforeRespond = (request: Request) => Promise<void>;

type UserParams = { user: string };

/**
 * Wraps an endpoint in what a real network and server add: the offline switch, latency, a
 * one-shot mutation failure and the unknown-user check. `beforeRespond` runs after the response
 * is computed, so a held feed carries the data as it was when the request arrived, which is how
 * a slow response can race a later mutation.
 */
export function createPipeline(storage: KeyValueStorage, beforeRespond?: BeforeRespond) {
  return <Params extends UserParams>(kind: 'read' | 'mutation', endpoint: Endpoint<Params>): HttpResponseResolver<Params> =>
    async ({ request, params }) => {
      const controls = getControls(storage);
      if (controls.offline) return HttpResponse.error();
      if (controls.latencyMs > 0) await delay(controls.latencyMs);
      const response = await answer(kind, endpoint, { request, params });
      // Set here rather than per endpoint so no response can forget it.
      response.headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
      await beforeRespond?.(request);
      return response;
    };

  async function answer<Params extends UserParams>(
    kind: 'read' | 'mutation',
    endpoint: Endpoint<Params>,
    { request, params }: { request: Request; params: Params },
  ): Promise<Response> {
    if (kind === 'mutation' && takeFailNext(storage)) {
      return errorResponse(500, 'server-error', 'Simulated failure (failNext); nothing was changed');
    }
    if (!isDemoUser(params.user)) return errorResponse(404, 'not-found', `Unknown user ${params.user}`);
    return endpoint({ request, user: params.user, params });
  }
}
