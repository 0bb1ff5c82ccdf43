import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriptionOutcome {
  /** The close code if the server closed the socket (4403: authentication refused). */
  closeCode?: number;
  /** GraphQL errors the operation failed with (e.g. FORBIDDEN). */
  errors?: { message: string; extensions?: { code?: string } }[];
  /** Results delivered before the outcome was decided (must be none for a refused subscription). */
  results: number;
  /** Neither closed nor failed within the wait: the subscription is live. */
  live: boolean;
}

/**
 * Opens a graphql-ws connection (token in `connectionParams.authorization`, or in the upgrade
 * request's Authorization header), subscribes once and reports how the server answered.
 */
export function trySubscription(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  auth: { connectionParams?: string; header?: string },
  waitMs = 1_500,
): Promise<SubscriptionOutcome> {
  const headers = auth.header === undefined ? {} : { authorization: auth.header };
  class WebSocketWithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let closeCode: number | undefined;
  const client = createClient({
    url,
    webSocketImpl: WebSocketWithHeaders,
    lazy: true,
    retryAttempts: 0,
    connectionParams: auth.connectionParams === undefined ? {} : { authorization: auth.connectionParams },
    on: { closed: (event) => (closeCode ??= (event as { code?: number }).code) },
  });
  return new Promise((resolve) => {
    let results = 0;
    let errors: SubscriptionOutcome['errors'];
    let settled = false;
    const finish = (outcome: Omit<SubscriptionOutcome, 'results'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void client.dispose();
      resolve({ ...outcome, ...(errors ? { errors } : {}), results });
    };
    const timer = setTimeout(() => finish({ live: true, closeCode }), waitMs);
    client.subscribe(
      { query, variables },
      {
        // A subscription refused by its resolver ends with one result: errors and no data.
        next: (result) => {
          if (result.errors?.length && !result.data) errors = result.errors as SubscriptionOutcome['errors'];
          else results += 1;
        },
        error: (error: unknown) => {
          if (Array.isArray(error)) finish({ live: false, errors: error });
          else finish({ live: false, closeCode: (error as { code?: number }).code ?? closeCode });
        },
        complete: () => finish({ live: false, closeCode }),
      },
    );
  });
}
