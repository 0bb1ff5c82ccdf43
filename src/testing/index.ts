/**
 * Helpers for testing Tasker workflows against a real PostgreSQL (`tasker-engine/testing`):
 * throwaway databases, engines with fast in-process workers, fake step handlers and assertions.
 * Framework-agnostic: failed assertions throw plain errors.
 */
export {
  createTestDatabase,
  dropTestDatabase,
  testAdminUrl,
  DEFAULT_TEST_ADMIN_URL,
  type TestDatabase,
  type TestDatabaseOptions,
} from './database';
export {
  createTestEngine,
  runTask,
  DEFAULT_RUN_TIMEOUT_MS,
  TEST_BACKOFF,
  TEST_WORKER_OPTIONS,
  type TestEngineOptions,
} from './engine';
export {
  failingHandler,
  recordingHandler,
  retryAfterHandler,
  type FailingHandlerOptions,
  type FakeResult,
  type HandlerCall,
  type RecordingHandler,
  type RetryAfterHandlerOptions,
} from './fakes';
export { expectStepStates, expectTaskStatus, stepNamed, TaskAssertionError } from './assertions';
export { lastStepError, type RecordedStepError } from './step-error';
