// Public API of the HTTP server: dashboard, /metrics, probes, /ws.
export { ServingServer, ServerConfigError, type ServingServerOptions, type HealthReport } from './http.js';
export { DASHBOARD_HTML } from './dashboard.js';
export { Gateway, type GatewayOptions } from './gateway.js';
