/**
 * Process wiring: the event loops, the listening sockets (plain and TLS), the client channel pipeline
 * and the metrics binder ({@link io.moonshard.proxy.internal.runtime.ProxyRuntime}, behind
 * {@link io.moonshard.proxy.ProxyServer}). The top layer: may use all the others; none uses it.
 */
package io.moonshard.proxy.internal.runtime;
