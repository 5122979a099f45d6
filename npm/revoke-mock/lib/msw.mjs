// ESM entry of revoke-mock/msw (the CommonJS implementation).
import api from './msw.cjs';

export const { createHandlers, dropNetworkErrors } = api;
