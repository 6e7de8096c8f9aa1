/**
 * The controller's HTTP interface on the JDK's HTTP server: the JSON API under {@code /api/v1}
 * (documented with an example per endpoint in docs/controller.md), {@code /metrics} (Prometheus),
 * {@code /health} and {@code /ready}.
 */
package io.moonshard.controller.api;
