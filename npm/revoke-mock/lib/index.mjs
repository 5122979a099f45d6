// ESM entry: the same implementation as the CommonJS one (one module
// instance, one set of live children).
import api from './index.cjs';

export const { startMock, connectMock } = api;
