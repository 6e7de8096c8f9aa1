/**
 * The engine behind {@link io.moonshard.proxy.ProxyServer}; not API.
 *
 * <p>Where to look: {@link io.moonshard.proxy.internal.CommandDispatcher} decides what happens to
 * every client command (proxy-local, forwarded, redirected, refused);
 * {@link io.moonshard.proxy.internal.ClientSession} owns a client's reply order;
 * {@link io.moonshard.proxy.internal.BackendConnection} forwards frames to one Redis and matches its
 * replies FIFO. A client channel and every backend connection it uses share one event loop, so none
 * of these classes needs locks.
 */
package io.moonshard.proxy.internal;
