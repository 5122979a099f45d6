// ESM entry of revoke-mock/playwright (the CommonJS implementation: one
// @playwright/test instance either way).
import api from './playwright.cjs';

export const { test, expect, mockTest } = api;
