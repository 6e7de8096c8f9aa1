/**
 * The engine behind {@link io.moonshard.proxy.ProxyServer}; not API. Its role packages depend on
 * each other one way only, top to bottom, as {@code LayersTest} enforces and {@code docs/design.md}
 * draws: {@code runtime}, {@code command}, {@code migration}/{@code replication}, {@code engine},
 * {@code route}, {@code session}, {@code backend}, {@code metadata}/{@code metrics},
 * {@code config}/{@code wire}.
 *
 * <p>Where to look: {@link io.moonshard.proxy.internal.command.CommandDispatcher} decides what happens
 * to every client command (proxy-local, forwarded, redirected, refused);
 * {@link io.moonshard.proxy.internal.route.Forwarder} routes a data command by its keys;
 * {@link io.moonshard.proxy.internal.session.ClientSession} owns a client's reply order;
 * {@link io.moonshard.proxy.internal.backend.BackendConnection} forwards frames to one Redis and
 * matches its replies FIFO. A client channel and every backend connection it uses share one event
 * loop, so none of these classes needs locks.
 */
package io.moonshard.proxy.internal;
