/**
 * Connections to the backends: one pipelined, FIFO-matched connection per Redis
 * ({@link io.moonshard.proxy.internal.backend.BackendConnection}), the pools of each event loop
 * ({@link io.moonshard.proxy.internal.backend.BackendPool}, {@link io.moonshard.proxy.internal.backend.BackendPools})
 * and where a reply goes ({@link io.moonshard.proxy.internal.backend.ReplyTarget}).
 *
 * <p>Knows nothing of client sessions: a connection's feeder and the receiver of its pushed frames
 * are a {@link io.moonshard.proxy.internal.backend.ConnectionOwner}, and what it needs of the proxy is
 * a {@link io.moonshard.proxy.internal.backend.BackendEnvironment}. May use {@code metadata},
 * {@code metrics}, {@code config} and {@code wire}.
 */
package io.moonshard.proxy.internal.backend;
