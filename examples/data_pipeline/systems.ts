import { FaultQueue, sleep } from '../support/faults';

/**
 * The systems the pipeline reads from and writes to, simulated in memory with the reference's
 * fixture data: a data warehouse (orders), a CRM (users), a product catalogue, a dashboard and a
 * chat service. Each call takes a little time (so the parallel extracts visibly overlap), is logged,
 * and can be made to fail.
 */

export interface OrderRow {
  order_id: number;
  customer_id: number;
  product_id: number;
  quantity: number;
  total: number;
  status: 'completed' | 'refunded';
  order_date: string;
}

export interface UserRow {
  user_id: number;
  name: string;
  email: string;
  segment: 'premium' | 'standard';
  signup_date: string;
}

export interface ProductRow {
  product_id: number;
  name: string;
  category: string;
  price: number;
}

export const ORDERS: readonly OrderRow[] = [
  {
    order_id: 1,
    customer_id: 1,
    product_id: 1,
    quantity: 2,
    total: 59.98,
    status: 'completed',
    order_date: '2024-01-15',
  },
  {
    order_id: 2,
    customer_id: 2,
    product_id: 2,
    quantity: 1,
    total: 49.99,
    status: 'completed',
    order_date: '2024-01-16',
  },
  {
    order_id: 3,
    customer_id: 1,
    product_id: 3,
    quantity: 1,
    total: 99.99,
    status: 'completed',
    order_date: '2024-01-17',
  },
  {
    order_id: 4,
    customer_id: 3,
    product_id: 1,
    quantity: 1,
    total: 29.99,
    status: 'refunded',
    order_date: '2024-01-18',
  },
  {
    order_id: 5,
    customer_id: 4,
    product_id: 4,
    quantity: 3,
    total: 44.97,
    status: 'completed',
    order_date: '2024-01-19',
  },
  {
    order_id: 6,
    customer_id: 5,
    product_id: 5,
    quantity: 1,
    total: 199.99,
    status: 'completed',
    order_date: '2024-01-20',
  },
];

export const USERS: readonly UserRow[] = [
  {
    user_id: 1,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    segment: 'premium',
    signup_date: '2023-03-01',
  },
  {
    user_id: 2,
    name: 'Alan Turing',
    email: 'alan@example.com',
    segment: 'standard',
    signup_date: '2023-05-12',
  },
  {
    user_id: 3,
    name: 'Grace Hopper',
    email: 'grace@example.com',
    segment: 'standard',
    signup_date: '2023-07-30',
  },
  {
    user_id: 4,
    name: 'Edsger Dijkstra',
    email: 'edsger@example.com',
    segment: 'standard',
    signup_date: '2023-09-02',
  },
  {
    user_id: 5,
    name: 'Barbara Liskov',
    email: 'barbara@example.com',
    segment: 'premium',
    signup_date: '2023-11-21',
  },
];

export const PRODUCTS: readonly ProductRow[] = [
  { product_id: 1, name: 'Widget A', category: 'widgets', price: 29.99 },
  { product_id: 2, name: 'Widget B', category: 'widgets', price: 49.99 },
  { product_id: 3, name: 'Gadget Pro', category: 'gadgets', price: 99.99 },
  { product_id: 4, name: 'Cable Pack', category: 'accessories', price: 14.99 },
  { product_id: 5, name: 'Console X', category: 'gadgets', price: 199.99 },
];

/** What a simulated call can run into. */
export type SystemFault =
  | { kind: 'timeout' }
  | { kind: 'connection' }
  | { kind: 'auth' }
  | { kind: 'out_of_memory' }
  | { kind: 'rate_limited'; retryAfterSeconds: number };

export class SystemFaultError extends Error {
  constructor(
    readonly system: string,
    readonly fault: SystemFault,
  ) {
    super(faultMessage(system, fault));
    this.name = 'SystemFaultError';
  }
}

function faultMessage(system: string, fault: SystemFault): string {
  switch (fault.kind) {
    case 'timeout':
      return `${system}: Database connection timeout`;
    case 'connection':
      return `${system}: connection refused`;
    case 'auth':
      return `${system}: authentication failed`;
    case 'out_of_memory':
      return `${system}: Out of memory during transformation`;
    case 'rate_limited':
      return `${system}: rate limit exceeded`;
  }
}

export interface SystemCall {
  system: string;
  start: number;
  end: number;
}

/** One simulated system: latency, a fault queue and a shared call log. */
export class SimulatedSystem {
  readonly faults = new FaultQueue<SystemFault>();

  constructor(
    readonly name: string,
    private readonly log: SystemCall[],
    private readonly latencyMs: number,
  ) {}

  /** Runs `work` as one call to this system, failing with the next injected fault if there is one. */
  async call<T>(signal: AbortSignal, work: () => T): Promise<T> {
    const start = performance.now();
    try {
      await sleep(this.latencyMs, signal);
      const fault = this.faults.take();
      if (fault) throw new SystemFaultError(this.name, fault);
      return work();
    } finally {
      this.log.push({ system: this.name, start, end: performance.now() });
    }
  }

  calls(): SystemCall[] {
    return this.log.filter((call) => call.system === this.name);
  }
}

export interface DashboardUpdate {
  dashboard_id: string;
  widgets: number;
  published_at: string;
}

export interface ChatMessage {
  channel: string;
  text: string;
}

/** One run of a step handler (an attempt), so the example can show which steps ran again. */
export interface StepRun {
  taskId: number;
  step: string;
  attempt: number;
  start: number;
  end: number;
}

export class PipelineSystems {
  /** Every call to every system, in the order they finished. */
  readonly log: SystemCall[] = [];
  /** Every step handler run, in the order they finished. */
  readonly runs: StepRun[] = [];
  readonly warehouse: SimulatedSystem;
  readonly crm: SimulatedSystem;
  readonly catalog: SimulatedSystem;
  /** The transforms run on the analytics cluster: that is where "out of memory" happens. */
  readonly cluster: SimulatedSystem;
  readonly dashboard: SimulatedSystem;
  readonly chat: SimulatedSystem;
  readonly dashboards: DashboardUpdate[] = [];
  readonly messages: ChatMessage[] = [];

  /** Extracts are the slow part of the nightly run; everything else answers quickly. */
  constructor({
    extractLatencyMs = 300,
    latencyMs = 40,
  }: { extractLatencyMs?: number; latencyMs?: number } = {}) {
    const system = (name: string, latency = latencyMs) => new SimulatedSystem(name, this.log, latency);
    this.warehouse = system('warehouse', extractLatencyMs);
    this.crm = system('crm', extractLatencyMs);
    this.catalog = system('catalog', extractLatencyMs);
    this.cluster = system('cluster');
    this.dashboard = system('dashboard');
    this.chat = system('chat');
  }
}
