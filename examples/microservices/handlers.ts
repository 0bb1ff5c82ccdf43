import {
  ApiStepHandler,
  PermanentError,
  type ApiOutcome,
  type ApiResponse,
  type HttpClient,
  type JsonObject,
  type JsonValue,
  type StepContext,
  type StepHandlerMap,
} from '../../src';

interface RegistrationContext {
  user_info: {
    email: string;
    name: string;
    phone?: string;
    plan?: string;
    referral_code?: string;
    source?: string;
  };
  billing_info?: { payment_method?: string; billing_address?: JsonObject };
  preferences?: { marketing_emails?: boolean; product_updates?: boolean; newsletter?: boolean };
  correlation_id?: string;
}

/** What each step stores under `body` (the step's results are `{ status, headers, body }`). */
export type StepSummary = JsonObject;

const DEFAULT_RATE_LIMIT_DELAY_SECONDS = 60;

const PLAN_FEATURES: Readonly<Record<string, { features: string[]; onboarding: string[] }>> = {
  enterprise: {
    features: ['sso', 'audit_log', 'dedicated_support', 'unlimited_projects'],
    onboarding: ['welcome', 'schedule_kickoff_call', 'configure_sso', 'invite_team'],
  },
  pro: {
    features: ['priority_support', 'advanced_analytics', 'unlimited_projects'],
    onboarding: ['welcome', 'create_first_project', 'invite_team'],
  },
  free: {
    features: ['community_support', 'three_projects'],
    onboarding: ['welcome', 'create_first_project'],
  },
};

function registration(ctx: StepContext): RegistrationContext {
  return ctx.task.context as unknown as RegistrationContext;
}

function planOf(ctx: StepContext): string {
  return registration(ctx).user_info.plan ?? 'free';
}

/** The caller's correlation id, or one derived from the task so every step of it sends the same. */
export function correlationId(ctx: StepContext): string {
  return registration(ctx).correlation_id ?? `reg_task_${ctx.task.taskId}`;
}

/** The summary an earlier step stored, or a permanent failure: nothing can run without it. */
function summaryOf(ctx: StepContext, stepName: string): StepSummary {
  const results = ctx.results(stepName) as { body?: JsonValue } | undefined;
  const body = results?.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PermanentError(`No results from ${stepName}`, { errorCode: 'MISSING_DEPENDENCY_RESULTS' });
  }
  return body;
}

function userIdOf(ctx: StepContext): string {
  const userId = summaryOf(ctx, 'create_user_account').user_id;
  if (typeof userId !== 'string') throw new PermanentError('No user id', { errorCode: 'MISSING_USER_ID' });
  return userId;
}

/**
 * The classification every registration service shares (reference §14.3): 409 means the record is
 * already there, which for an idempotent create is success; client errors are permanent with a code
 * naming the kind; 429 waits for Retry-After (60 s when the service gives none); the rest (503 with
 * its Retry-After, other 5xx) is retryable.
 */
abstract class RegistrationStep extends ApiStepHandler {
  protected override classify(response: ApiResponse): ApiOutcome {
    const { status } = response;
    if (status === 409) return { outcome: 'success' };
    if (status === 400 || status === 422)
      return { outcome: 'permanent', errorCode: 'CLIENT_VALIDATION_ERROR' };
    if (status === 401 || status === 403) return { outcome: 'permanent', errorCode: 'AUTH_ERROR' };
    if (status === 404) return { outcome: 'permanent', errorCode: 'RESOURCE_NOT_FOUND' };
    const outcome = super.classify(response);
    if (status === 429 && outcome.outcome === 'retryable' && outcome.retryAfterSeconds === null) {
      return { outcome: 'retryable', retryAfterSeconds: DEFAULT_RATE_LIMIT_DELAY_SECONDS };
    }
    return outcome;
  }

  protected headers(ctx: StepContext): { headers: Record<string, string> } {
    return { headers: { 'x-correlation-id': correlationId(ctx) } };
  }

  /**
   * Reads a service's answer. A failure is handed back as it came (with its Retry-After) for
   * `classify` to judge; a success (or 409) is reduced to the summary the next steps need.
   */
  protected async answer(
    response: Response,
    summarize: (body: JsonObject, status: number) => Promise<StepSummary> | StepSummary,
  ): Promise<ApiResponse> {
    const text = await response.text();
    const body = text ? (JSON.parse(text) as JsonObject) : {};
    const retryAfter = response.headers.get('retry-after');
    const raw: ApiResponse = {
      status: response.status,
      headers: retryAfter ? { 'retry-after': retryAfter } : {},
      body,
    };
    if (this.classify(raw).outcome !== 'success') return raw;
    return { status: response.status, headers: {}, body: await summarize(body, response.status) };
  }
}

export class CreateUserAccount extends RegistrationStep {
  async call(ctx: StepContext, http: HttpClient): Promise<ApiResponse> {
    const { user_info: user, preferences = {} } = registration(ctx);
    if (!user.email) throw new PermanentError('No email', { errorCode: 'MISSING_EMAIL' });
    if (!user.name) throw new PermanentError('No name', { errorCode: 'MISSING_NAME' });
    const request = {
      email: user.email,
      name: user.name,
      phone: user.phone ?? null,
      plan: planOf(ctx),
      marketing_consent: preferences.marketing_emails ?? false,
      referral_code: user.referral_code ?? null,
      source: user.source ?? 'web',
    };
    const response = await http.post('/users', request, this.headers(ctx));
    return this.answer(response, (body, status) =>
      status === 409 ? this.existingUser(ctx, http, request) : this.created(ctx, body),
    );
  }

  private created(ctx: StepContext, body: JsonObject): StepSummary {
    if (typeof body.id !== 'string') {
      throw new PermanentError('The user service returned no user id', {
        errorCode: 'MISSING_USER_ID_IN_RESPONSE',
      });
    }
    return {
      user_id: body.id,
      email: body.email ?? null,
      created_at: body.created_at ?? null,
      correlation_id: correlationId(ctx),
      status: 'created',
    };
  }

  /** A 409: the same registration submitted again is fine; someone else's account is not. */
  private async existingUser(
    ctx: StepContext,
    http: HttpClient,
    request: { email: string; name: string; plan: string },
  ): Promise<StepSummary> {
    const lookup = await http.get('/users', { query: { email: request.email }, ...this.headers(ctx) });
    const { users = [] } = (await lookup.json()) as { users?: JsonObject[] };
    const [existing] = users;
    const same = existing && existing.name === request.name && existing.plan === request.plan;
    if (!same || typeof existing.id !== 'string') {
      throw new PermanentError(`A different user is registered with ${request.email}`, {
        errorCode: 'USER_CONFLICT',
      });
    }
    return {
      user_id: existing.id,
      email: request.email,
      created_at: existing.created_at ?? null,
      correlation_id: correlationId(ctx),
      status: 'already_exists',
    };
  }
}

export class SetupBillingProfile extends RegistrationStep {
  async call(ctx: StepContext, http: HttpClient): Promise<ApiResponse> {
    const userId = userIdOf(ctx);
    const billing = registration(ctx).billing_info ?? {};
    const response = await http.post(
      '/billing_profiles',
      {
        user_id: userId,
        plan: planOf(ctx),
        payment_method: billing.payment_method ?? null,
        billing_address: billing.billing_address ?? null,
      },
      this.headers(ctx),
    );
    return this.answer(response, (body, status) => {
      const profile = (status === 409 ? body.profile : body) as JsonObject | undefined;
      if (!profile || typeof profile.plan !== 'string') {
        throw new PermanentError('The billing service returned no plan', { errorCode: 'MISSING_PLAN' });
      }
      return {
        billing_id: profile.id ?? null,
        user_id: userId,
        plan: profile.plan,
        correlation_id: correlationId(ctx),
        status: status === 409 ? 'already_exists' : 'created',
      };
    });
  }
}

export class InitializePreferences extends RegistrationStep {
  async call(ctx: StepContext, http: HttpClient): Promise<ApiResponse> {
    const userId = userIdOf(ctx);
    const preferences = registration(ctx).preferences ?? {};
    const response = await http.post(
      '/preferences',
      {
        user_id: userId,
        marketing_emails: preferences.marketing_emails ?? false,
        product_updates: preferences.product_updates ?? false,
        newsletter: preferences.newsletter ?? false,
      },
      this.headers(ctx),
    );
    return this.answer(response, (body, status) => {
      const stored = (status === 409 ? body.preferences : body) as JsonObject | undefined;
      return {
        preferences_id: stored?.id ?? null,
        user_id: userId,
        correlation_id: correlationId(ctx),
        status: status === 409 ? 'already_exists' : 'created',
      };
    });
  }
}

export class SendWelcomeSequence extends RegistrationStep {
  async call(ctx: StepContext, http: HttpClient): Promise<ApiResponse> {
    const userId = userIdOf(ctx);
    const billedPlan = summaryOf(ctx, 'setup_billing_profile').plan;
    const plan = typeof billedPlan === 'string' ? billedPlan : planOf(ctx);
    const { features, onboarding } = PLAN_FEATURES[plan] ?? PLAN_FEATURES.free;
    const { user_info: user } = registration(ctx);
    const response = await http.post(
      '/welcome_sequences',
      { user_id: userId, email: user.email, name: user.name, plan, features, onboarding_steps: onboarding },
      this.headers(ctx),
    );
    return this.answer(response, (body) => ({
      sequence_id: body.id ?? null,
      user_id: userId,
      plan,
      features,
      emails_scheduled: body.emails_scheduled ?? 0,
      correlation_id: correlationId(ctx),
      status: 'sent',
    }));
  }
}

export class UpdateUserStatus extends RegistrationStep {
  async call(ctx: StepContext, http: HttpClient): Promise<ApiResponse> {
    const userId = userIdOf(ctx);
    const welcome = summaryOf(ctx, 'send_welcome_sequence');
    const completion = {
      billing_id: summaryOf(ctx, 'setup_billing_profile').billing_id ?? null,
      preferences_id: summaryOf(ctx, 'initialize_preferences').preferences_id ?? null,
      welcome_sequence_id: welcome.sequence_id ?? null,
      plan: welcome.plan ?? null,
    };
    const response = await http.put(
      `/users/${encodeURIComponent(userId)}/status`,
      { status: 'registration_complete', completion },
      this.headers(ctx),
    );
    return this.answer(response, () => ({
      user_id: userId,
      status: 'registration_complete',
      registration_outcome: {
        user_id: userId,
        plan: completion.plan,
        source: registration(ctx).user_info.source ?? 'web',
        completed_at: new Date().toISOString(),
      },
      correlation_id: correlationId(ctx),
    }));
  }
}

export const userRegistrationHandlers: StepHandlerMap = {
  'Microservices::CreateUserAccount': CreateUserAccount,
  'Microservices::SetupBillingProfile': SetupBillingProfile,
  'Microservices::InitializePreferences': InitializePreferences,
  'Microservices::SendWelcomeSequence': SendWelcomeSequence,
  'Microservices::UpdateUserStatus': UpdateUserStatus,
};
